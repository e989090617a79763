package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// callsSince returns the API calls made after the first n.
func callsSince(n int) []localecr.Call {
	return stack.API.Calls()[n:]
}

func countOp(calls []localecr.Call, op string) int {
	n := 0
	for _, c := range calls {
		if c.Op == op {
			n++
		}
	}
	return n
}

// buildStarted reports whether kaniko began to build: it logs both lines
// as soon as it does.
func buildStarted(stderr string) bool {
	return strings.Contains(stderr, "Building stage") || strings.Contains(stderr, "Retrieving image manifest")
}

const lifecyclePolicy = `{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}}]}`

const repositoryPolicy = `{"Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": ["ecr:BatchGetImage"]}]}`

// PLUGIN_CREATE_REPOSITORY creates the repository with its settings and
// policies, and the cache repository with a lifecycle rule, through an
// assumed role: every ECR call is signed with the role's credentials.
func TestCreateRepositoryThenPushThroughAnAssumedRole(t *testing.T) {
	ws := writeFiles(t, map[string]string{
		"Dockerfile":            "ARG BASE\nFROM ${BASE}\nRUN echo created > /created.txt\n",
		"ci/lifecycle.json":     lifecyclePolicy,
		"ci/repo-policy.json":   repositoryPolicy,
		"unrelated/placeholder": "",
	})
	before := len(stack.API.Calls())
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":              "it/created",
		"PLUGIN_TAGS":              "v1",
		"PLUGIN_BUILD_ARGS":        "BASE=" + baseImage,
		"PLUGIN_ACCESS_KEY":        "AKIAITSTATIC",
		"PLUGIN_SECRET_KEY":        "it-static-secret",
		"PLUGIN_USER_ROLE_ARN":     "arn:aws:iam::123456789012:role/ci-push",
		"PLUGIN_EXTERNAL_ID":       "it-external",
		"PLUGIN_CREATE_REPOSITORY": "true",
		"PLUGIN_TAG_IMMUTABILITY":  "IMMUTABLE",
		"PLUGIN_SCAN_ON_PUSH":      "true",
		"PLUGIN_LIFECYCLE_POLICY":  "ci/lifecycle.json",
		"PLUGIN_REPOSITORY_POLICY": "ci/repo-policy.json",
		"PLUGIN_CACHE_REPO":        "it/created-cache",
		"PLUGIN_CACHE_TTL":         "48",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	repo, ok := stack.API.Repository("it/created")
	if !ok || repo.Mutability != "IMMUTABLE" || !repo.ScanOnPush || !strings.Contains(repo.LifecyclePolicy, `"imageCountMoreThan"`) || !strings.Contains(repo.RepositoryPolicy, `"ecr:BatchGetImage"`) {
		t.Errorf("repository %+v", repo)
	}
	cache, ok := stack.API.Repository("it/created-cache")
	if !ok || cache.Mutability != "MUTABLE" || !strings.Contains(cache.LifecyclePolicy, `"countNumber":2`) {
		t.Errorf("cache repository %+v", cache)
	}
	if !strings.Contains(r.stderr, "Pushing layer") {
		t.Error("kaniko did not push to the created cache repository")
	}
	d := digestOf(t, stack.Registry.Addr+"/it/created:v1")
	if !strings.Contains(r.stderr, "digest: "+d) {
		t.Errorf("summary lacks the pushed digest %s", d)
	}
	calls := callsSince(before)
	for _, c := range calls {
		want := "ROLEASIALOCAL"
		switch {
		case c.Op == "AssumeRole":
			want = "AKIAITSTATIC"
		case c.Op == "GetAuthorizationToken" && localecr.IsScoped(c.AccessKey):
			want = "ROLESCOPEDASIALOCAL" // the build's narrowed token (the cache is on)
		}
		if c.AccessKey != want {
			t.Errorf("%s signed by %q, want %q", c.Op, c.AccessKey, want)
		}
	}
	for _, want := range []string{
		"AWS credentials: assume role arn:aws:iam::123456789012:role/ci-push with PLUGIN_EXTERNAL_ID on top of static keys",
		"AWS identity: arn:aws:sts::123456789012:assumed-role/local/session",
		"created repository it/created in " + stack.Registry.Addr + " (IMMUTABLE, scan on push)",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, secret := range []string{"it-static-secret", "it-external", "local-secret", "local-session", stack.Registry.Password} {
		if strings.Contains(r.stderr+r.stdout, secret) {
			t.Errorf("a secret reached the output: %.6s...", secret)
		}
	}
}

// A tag that holds another, timestamped image in an IMMUTABLE repository
// can never be pushed again: the run fails before kaniko starts.
func TestImmutableTagConflictFailsBeforeTheBuild(t *testing.T) {
	stack.API.AddRepository(localecr.Repository{Name: "it/immutable", Mutability: "IMMUTABLE"})
	env := map[string]string{"PLUGIN_REPO": "it/immutable", "PLUGIN_TAGS": "v1", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage}
	first := runPlugin(t, writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo one > /v.txt\n"}), env)
	if first.code != 0 {
		t.Fatalf("first run: exit %d\n%s", first.code, first.stderr)
	}
	d := digestOf(t, stack.Registry.Addr+"/it/immutable:v1")

	second := runPlugin(t, writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo two > /v.txt\n"}), env)
	if second.code != 1 {
		t.Fatalf("second run: exit %d, want 1\n%s", second.code, second.stderr)
	}
	for _, want := range []string{"tag immutability of repository it/immutable (found before the build: nothing was built or pushed)", `v1\" already holds ` + d} {
		if !strings.Contains(second.stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, second.stderr)
		}
	}
	if buildStarted(second.stderr) {
		t.Errorf("kaniko started building:\n%s", second.stderr)
	}
	if got := digestOf(t, stack.Registry.Addr+"/it/immutable:v1"); got != d {
		t.Errorf("v1 moved from %s to %s", d, got)
	}
}

// A tag holding a reproducible image (created at the epoch) might be
// rebuilt exactly, so the build runs; when its digest differs the run
// fails between build and push, and the tag keeps its image.
func TestReproducibleImmutableTagIsComparedAfterTheBuild(t *testing.T) {
	stack.API.AddRepository(localecr.Repository{Name: "it/repro", Mutability: "IMMUTABLE"})
	img, err := localecr.BusyboxImage() // created: 1970-01-01, like kaniko --reproducible
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(stack.Registry.Addr + "/it/repro:v1")
	if err != nil {
		t.Fatal(err)
	}
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		t.Fatal(err)
	}
	d := digestOf(t, ref.String())

	r := runPlugin(t, writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo new > /new.txt\n"}), map[string]string{
		"PLUGIN_REPO": "it/repro", "PLUGIN_TAGS": "v1,v2", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_REPRODUCIBLE": "true",
	})
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"built reproducibly: the build must give the same digest", "found after the build: nothing was pushed", `v1\" holds ` + d} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, r.stderr)
		}
	}
	if !buildStarted(r.stderr) {
		t.Error("the build did not run")
	}
	if got := digestOf(t, ref.String()); got != d {
		t.Errorf("v1 moved from %s to %s", d, got)
	}
	if _, err := remote.Head(ref.Context().Tag("v2"), opts...); err == nil {
		t.Error("v2 was pushed although the run failed")
	}
	// The provenance, written beside the push, is deleted with it.
	m := regexp.MustCompile(`provenance of (sha256:[0-9a-f]{64}) deleted: the image was not pushed \([^@]+@(sha256:[0-9a-f]{64})\)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no line saying the provenance was deleted:\n%s", r.stderr)
	}
	if _, err := remote.Head(ref.Context().Digest(m[2]), opts...); err == nil {
		t.Errorf("the provenance %s of the image not pushed is still in the repository", m[2])
	}
	if tags, err := remote.List(ref.Context(), opts...); err != nil || len(tags) != 1 {
		t.Errorf("tags %v (%v), want only v1: no fallback tag for the image not pushed", tags, err)
	}
}

func TestMissingCacheRepositoryWarnsAndBuildsWithoutCache(t *testing.T) {
	addRepos("it/nocache")
	r := runPlugin(t, writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo hi > /hi.txt\n"}), map[string]string{
		"PLUGIN_REPO": "it/nocache", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_CACHE_REPO": "it/missing-cache",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "cache repository it/missing-cache does not exist in "+stack.Registry.Addr+": building without the layer cache") {
		t.Errorf("no warning:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "Pushing layer") || strings.Contains(r.stderr, "missing-cache:") {
		t.Errorf("kaniko used the missing cache repository:\n%s", r.stderr)
	}
	if _, ok := stack.API.Repository("it/missing-cache"); ok {
		t.Error("the cache repository was created without PLUGIN_CREATE_REPOSITORY")
	}
	digestOf(t, stack.Registry.Addr+"/it/nocache:latest")
}

// A token that expires soon is replaced between build and push; here via
// OIDC web identity, so both tokens come from the role's credentials.
func TestShortLivedTokenIsRefreshedBeforeThePush(t *testing.T) {
	addRepos("it/refresh")
	stack.API.SetTokenTTL(10 * time.Minute)
	defer stack.API.SetTokenTTL(0)
	before := len(stack.API.Calls())
	// No base image from the registry and no cache: the build needs no
	// token of its own, so the push's is the one checked before the build.
	r := runPlugin(t, writeFiles(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY r.txt /r.txt\n", "r.txt": "refresh\n"}), map[string]string{
		"PLUGIN_REPO":          "it/refresh",
		"PLUGIN_ASSUME_ROLE":   "arn:aws:iam::123456789012:role/oidc-push",
		"PLUGIN_OIDC_TOKEN_ID": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJpdCJ9.c2lnbmF0dXJl",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	calls := callsSince(before)
	if n := countOp(calls, "GetAuthorizationToken"); n != 2 {
		t.Errorf("GetAuthorizationToken called %d times, want 2", n)
	}
	if n := countOp(calls, "AssumeRoleWithWebIdentity"); n != 1 {
		t.Errorf("AssumeRoleWithWebIdentity called %d times, want 1 (the credentials are cached)", n)
	}
	for _, c := range calls {
		if c.Op != "AssumeRoleWithWebIdentity" && c.AccessKey != "WEBASIALOCAL" {
			t.Errorf("%s signed by %q, want the web identity role's key", c.Op, c.AccessKey)
		}
	}
	if i, j := strings.Index(r.stderr, "refreshed the registry token before the push"), strings.Index(r.stderr, "pushing "); i < 0 || j < i {
		t.Errorf("no refresh before the push:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "eyJzdWIiOiJpdCJ9") {
		t.Error("the OIDC token reached the log")
	}
}

func TestAccessDeniedStopsBeforeTheBuild(t *testing.T) {
	addRepos("it/denied")
	stack.API.Inject(localecr.Fault{Op: "GetAuthorizationToken", Code: "AccessDeniedException", Message: "User is not authorized to perform: ecr:GetAuthorizationToken", Times: 1})
	r := runPlugin(t, writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN true\n"}), map[string]string{
		"PLUGIN_REPO": "it/denied", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
	})
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "AccessDeniedException (the identity may not call ecr:GetAuthorizationToken: check the IAM policy of the default credential chain)") {
		t.Errorf("unclear error:\n%s", r.stderr)
	}
	if buildStarted(r.stderr) {
		t.Error("kaniko started building")
	}
}

// ECR Public, at a local endpoint: the token and the repository come from
// the ECR Public API, the image goes to <host>/<alias>/<repo>.
func TestECRPublicCreatesAndPushes(t *testing.T) {
	before := len(stack.API.Calls())
	r := runPlugin(t, writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo public > /p.txt\n"}), map[string]string{
		"PLUGIN_REGISTRY": stack.Registry.Addr + "/it-alias", "PLUGIN_REPO": "tools/app", "PLUGIN_TAGS": "v1",
		"PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_CREATE_REPOSITORY": "true",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, ok := stack.API.PublicRepository("tools/app"); !ok {
		t.Error("no ECR Public repository created")
	}
	for _, c := range callsSince(before) {
		if c.Service == localecr.ServiceECR {
			t.Errorf("private ECR was called: %s", c.Op)
		}
	}
	d := digestOf(t, stack.Registry.Addr+"/it-alias/tools/app:v1")
	if !strings.Contains(r.stderr, "digest: "+d) || !strings.Contains(r.stderr, "image: "+stack.Registry.Addr+"/it-alias/tools/app") {
		t.Errorf("summary:\n%s", r.stderr)
	}
}

// Re-running a reproducible build into an IMMUTABLE repository is
// idempotent: the tag already holds the same digest, and the run succeeds
// without pushing it again.
func TestReproducibleRerunIntoImmutableTagSucceeds(t *testing.T) {
	stack.API.AddRepository(localecr.Repository{Name: "it/rerun", Mutability: "IMMUTABLE"})
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nCOPY f.txt /f.txt\nRUN echo same > /same.txt\n", "f.txt": "f\n"})
	env := map[string]string{"PLUGIN_REPO": "it/rerun", "PLUGIN_TAGS": "1.0.0", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_REPRODUCIBLE": "true"}
	first := runPlugin(t, ws, env)
	if first.code != 0 {
		t.Fatalf("first run: exit %d\n%s", first.code, first.stderr)
	}
	d := digestOf(t, stack.Registry.Addr+"/it/rerun:1.0.0")
	second := runPlugin(t, ws, env)
	if second.code != 0 {
		t.Fatalf("second run: exit %d\n%s", second.code, second.stderr)
	}
	if !strings.Contains(second.stderr, "already holds "+d) || !strings.Contains(second.stderr, "not pushing it again") {
		t.Errorf("second run did not recognise its own image:\n%s", second.stderr)
	}
}
