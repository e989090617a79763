package integration

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// probe is a RUN step that tries every route to the pipeline's
// credentials and keeps what it finds under /found, in the image: every
// process's environ and cmdline, its open files, PID 1's memory, every
// file under /kaniko, $HOME, ~/.ecr and ~/.docker, and its own environment.
var probe = mustRead("testdata/reach/probe.sh")

// The Dockerfile needs no base image: a static busybox from the context.
var probeDockerfile = mustRead("testdata/reach/Dockerfile")

// mustRead reads a test data file (shared with plugin/integration/runtime).
func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// basicAuth is user:password as a docker config's "auth" holds it.
func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// imageBytes reads an image back and returns every file's content, whole.
func imageBytes(t *testing.T, ref string) map[string][]byte {
	t.Helper()
	_, files := readBack(t, ref)
	return files
}

// writeImage pushes img to reg under ref and returns the reference.
func writeImage(t *testing.T, reg *localecr.Registry, ref string, img v1.Image) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := reg.Options()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return tag.String()
}

// secondRegistryCA is a CA bundle trusting both the stack's registry and
// second, for the sandbox (SANDBOX_CA).
func secondRegistryCA(t *testing.T, second *localecr.Registry) string {
	t.Helper()
	a, _ := os.ReadFile(stack.CABundle)
	b, _ := os.ReadFile(second.CAFile)
	bundle := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(bundle, append(append(a, '\n'), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// pullImage reads an image's manifest back from the registry.
func pullImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, opts...)
	if err != nil {
		t.Fatalf("reading %s back: %v", ref, err)
	}
	return img
}

// readBack reads an image back from the registry and flattens it: every
// regular file's content by path.
func readBack(t *testing.T, ref string) (v1.Image, map[string][]byte) {
	t.Helper()
	img := pullImage(t, ref)
	files := map[string][]byte{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		if h.Typeflag == tar.TypeReg {
			body, _ = io.ReadAll(tr)
		}
		files[strings.TrimPrefix(h.Name, "./")] = body
	}
	return img, files
}

// A RUN step that tries every route finds none of the pipeline's
// credentials: the plugin (PID 1, as under docker run) is non-dumpable, so
// its environ, memory and files are closed to the step; no child process
// inherits a secret; the push token never touches the disk; and a build
// that pulls nothing from ECR or the base image registry gets no
// credentials in its docker config at all.
func TestRunStepReachesNoCredential(t *testing.T) {
	busybox, err := os.ReadFile(localecr.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZWFjaC10ZXN0In0.c2lnbmF0dXJlLXJlYWNoLXRlc3Q"
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"static keys with a session token and a base image connector", map[string]string{
			"PLUGIN_ACCESS_KEY":          "AKIAREACHSTATICKEY01",
			"PLUGIN_SECRET_KEY":          "reach-static-secret-key-0123456789",
			"PLUGIN_SESSION_TOKEN":       "reach-session-token-0123456789",
			"PLUGIN_BASE_IMAGE_REGISTRY": "docker.io",
			"PLUGIN_BASE_IMAGE_USERNAME": "reach-user",
			"PLUGIN_BASE_IMAGE_PASSWORD": "reach-base-image-password-0123",
		}},
		{"OIDC web identity", map[string]string{
			"PLUGIN_OIDC_TOKEN_ID": jwt,
			"PLUGIN_ASSUME_ROLE":   "arn:aws:iam::123456789012:role/ci-oidc",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := "it/reach-" + map[bool]string{true: "oidc", false: "static"}[tc.env["PLUGIN_OIDC_TOKEN_ID"] != ""]
			addRepos(repo)
			ws := writeFiles(t, map[string]string{"Dockerfile": probeDockerfile, "probe.sh": probe, "busybox": string(busybox)})
			if err := os.Chmod(filepath.Join(ws, "busybox"), 0o755); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"PLUGIN_REPO": repo, "PLUGIN_TAGS": "probe"}
			for k, v := range tc.env {
				env[k] = v
			}
			r := runSandbox(t, ws, env, []string{"SANDBOX_AS_PID1=1"})
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			files := imageBytes(t, stack.Registry.Addr+"/"+repo+":probe")
			// The probe ran and could read what is open to it.
			if env := files["found/self.env"]; !bytes.Contains(env, []byte("PATH=")) {
				t.Fatalf("the probe's own environment is missing from the image: %q", env)
			}
			if e := files["found/proc/1.environ.err"]; !bytes.Contains(e, []byte("Permission denied")) {
				t.Errorf("reading the plugin's /proc/1/environ gave %q, want Permission denied", e)
			}
			if e := files["found/proc/1.mem.err"]; !bytes.Contains(e, []byte("Permission denied")) {
				t.Errorf("reading the plugin's /proc/1/mem gave %q, want Permission denied", e)
			}
			if !bytes.Contains(files["found/files.list"], []byte("/kaniko/")) {
				t.Errorf("the probe listed nothing under /kaniko: %q", files["found/files.list"])
			}
			secrets := map[string]string{
				"the registry token": stack.Registry.Password, "the role's secret key": "local-secret", "the role's session token": "local-session",
				// as a docker config holds them
				"the registry token, encoded":      basicAuth(stack.Registry.User, stack.Registry.Password),
				"the base image password, encoded": basicAuth("reach-user", "reach-base-image-password-0123"),
			}
			for k, v := range tc.env {
				if k != "PLUGIN_ASSUME_ROLE" && k != "PLUGIN_BASE_IMAGE_REGISTRY" && k != "PLUGIN_BASE_IMAGE_USERNAME" {
					secrets[k] = v
				}
			}
			for path, body := range files {
				if !strings.HasPrefix(path, "found/") {
					continue
				}
				for what, s := range secrets {
					if bytes.Contains(body, []byte(s)) {
						t.Errorf("the RUN step found %s in %s", what, path)
					}
				}
			}
			if strings.Contains(r.stderr, "is not PID 1") {
				t.Errorf("the plugin runs as PID 1, yet warns that it does not:\n%s", r.stderr)
			}
			if !strings.Contains(r.stderr, "the build pulls nothing that needs credentials") {
				t.Errorf("the log does not say the docker config was left empty:\n%s", r.stderr)
			}
		})
	}
}

// With a base image in the ECR registry and the layer cache on, the build
// needs a registry token: the docker config a RUN step can read holds one
// from a session narrowed by a policy (pulls, and pushes only to the cache
// repository), never the push's token; the stand-in records the policy.
func TestRunStepFindsOnlyTheNarrowedBuildToken(t *testing.T) {
	addRepos("it/reach-scoped", "it/reach-scoped-cache")
	ws := writeFiles(t, map[string]string{
		"Dockerfile": "ARG BASE\nFROM ${BASE}\nCOPY probe.sh /probe.sh\nRUN /bin/sh /probe.sh\n",
		"probe.sh":   probe,
	})
	before := len(stack.API.SessionPolicies())
	r := runSandbox(t, ws, map[string]string{
		"PLUGIN_REPO":        "it/reach-scoped",
		"PLUGIN_TAGS":        "probe",
		"PLUGIN_BUILD_ARGS":  "BASE=" + baseImage,
		"PLUGIN_CACHE_REPO":  "it/reach-scoped-cache",
		"PLUGIN_ACCESS_KEY":  "AKIAREACHSCOPED01",
		"PLUGIN_SECRET_KEY":  "reach-scoped-static-secret-0123",
		"PLUGIN_ASSUME_ROLE": "arn:aws:iam::123456789012:role/ci-push",
	}, []string{"SANDBOX_AS_PID1=1"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	files := imageBytes(t, stack.Registry.Addr+"/it/reach-scoped:probe")
	cfg := files["found/files/kaniko/.docker/config.json"]
	if cfg == nil {
		t.Fatalf("the RUN step found no docker config; it listed %q", files["found/files.list"])
	}
	var doc struct {
		Auths map[string]struct{ Auth string }
	}
	if err := json.Unmarshal(cfg, &doc); err != nil {
		t.Fatalf("docker config %q: %v", cfg, err)
	}
	got, _ := base64.StdEncoding.DecodeString(doc.Auths[stack.Registry.Addr].Auth)
	if want := stack.Registry.ScopedUser + ":" + stack.Registry.ScopedPassword; string(got) != want {
		t.Errorf("the build's docker config holds %q for the registry, want the narrowed session's token", got)
	}
	for path, body := range files {
		for what, s := range map[string]string{"the push token": stack.Registry.Password, "the push token, encoded": basicAuth(stack.Registry.User, stack.Registry.Password), "the secret key": "reach-scoped-static-secret-0123", "a role's secret key": "local-secret"} {
			if strings.HasPrefix(path, "found/") && bytes.Contains(body, []byte(s)) {
				t.Errorf("the RUN step found %s in %s", what, path)
			}
		}
	}
	pols := stack.API.SessionPolicies()[before:]
	if len(pols) != 1 || pols[0].Action != "AssumeRole" {
		t.Fatalf("session policies %+v, want one AssumeRole", pols)
	}
	var pol struct {
		Statement []struct {
			Sid      string
			Action   []string
			Resource string
		}
	}
	if err := json.Unmarshal([]byte(pols[0].Policy), &pol); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:ecr:us-east-1:123456789012:repository/"
	for _, st := range pol.Statement {
		for _, a := range st.Action {
			push := a == "ecr:PutImage" || a == "ecr:InitiateLayerUpload" || a == "ecr:UploadLayerPart" || a == "ecr:CompleteLayerUpload"
			switch {
			case push && st.Resource != arn+"it/reach-scoped-cache":
				t.Errorf("the build may %s on %s: only the cache repository should take pushes", a, st.Resource)
			case a == "ecr:BatchGetImage" && st.Resource != arn+"*":
				t.Errorf("pulls allowed on %s, want every repository of the registry", st.Resource)
			case a == "ecr:GetAuthorizationToken" && st.Resource != "*":
				t.Errorf("GetAuthorizationToken on %s", st.Resource)
			}
		}
	}
	if !strings.Contains(string(pols[0].Policy), `"ecr:PutImage"`) || !strings.Contains(string(pols[0].Policy), `"ecr:BatchGetImage"`) {
		t.Errorf("the policy allows no cache push or no pull: %s", pols[0].Policy)
	}
	if !strings.Contains(r.stderr, "Pushing layer") {
		t.Error("kaniko pushed nothing to the cache with the narrowed token")
	}
}
