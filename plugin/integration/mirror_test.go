package integration

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// mirrorDockerfile names its base by its Docker Hub name only, and keeps
// the docker config the build sees (it is removed when the build ends).
const mirrorDockerfile = "FROM busybox:1.36\nRUN cat /kaniko/.docker/config.json > /build-config.json\n"

// pushTo pushes the busybox base to reg under repo:1.36.
func pushTo(t *testing.T, reg *localecr.Registry, repo string) {
	t.Helper()
	img, err := localecr.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, reg, reg.Addr+"/"+repo+":1.36", img)
}

// buildConfigAuths decodes the docker config the build saw: host -> user:password.
func buildConfigAuths(t *testing.T, files map[string][]byte) map[string]string {
	t.Helper()
	var doc struct {
		Auths map[string]struct{ Auth string }
	}
	if err := json.Unmarshal(files["build-config.json"], &doc); err != nil {
		t.Fatalf("the build's docker config %q: %v", files["build-config.json"], err)
	}
	out := map[string]string{}
	for host, a := range doc.Auths {
		b, _ := base64.StdEncoding.DecodeString(a.Auth)
		out[host] = string(b)
	}
	return out
}

// noDockerHub fails when kaniko was refused by the mirror or went to
// Docker Hub.
func noDockerHub(t *testing.T, log string) {
	t.Helper()
	for _, bad := range []string{"UNAUTHORIZED", "Failed to retrieve image", "from registry index.docker.io"} {
		if strings.Contains(log, bad) {
			t.Errorf("the log holds %q: the mirror was refused or Docker Hub was tried\n%s", bad, log)
		}
	}
}

// A Dockerfile that names a Docker Hub image builds through an
// authenticated mirror on the push registry (an ECR pull-through cache),
// as a bare host and under a path prefix: the build's docker config holds
// the registry's token for the mirror and nothing else, and kaniko is
// neither refused nor sent to Docker Hub.
func TestDockerHubBaseBuildsThroughAnAuthenticatedMirrorOnTheRegistry(t *testing.T) {
	for _, tc := range []struct{ name, mirror, repo string }{
		{"bare host", stack.Registry.Addr, "library/busybox"},
		{"path prefix", stack.Registry.Addr + "/docker-hub", "docker-hub/library/busybox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := "it/mirror-" + strings.ReplaceAll(tc.name, " ", "-")
			addRepos(repo)
			pushTo(t, stack.Registry, tc.repo)
			ws := writeFiles(t, map[string]string{"Dockerfile": mirrorDockerfile})
			r := runPlugin(t, ws, map[string]string{
				"PLUGIN_REPO":                           repo,
				"PLUGIN_REGISTRY_MIRRORS":               tc.mirror,
				"PLUGIN_SKIP_DEFAULT_REGISTRY_FALLBACK": "true",
			})
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			noDockerHub(t, r.stderr)
			_, files := readBack(t, stack.Registry.Addr+"/"+repo+":latest")
			want := map[string]string{stack.Registry.Addr: stack.Registry.User + ":" + stack.Registry.Password}
			if got := buildConfigAuths(t, files); !maps.Equal(got, want) {
				t.Errorf("the build's docker config holds %v, want only the mirror's token", hosts(got))
			}
		})
	}
}

// With an assumed role the build's token is narrowed by a session policy:
// it may fill the pull-through cache under the mirror's prefix (a first
// pull imports the upstream image into a new repository there).
func TestNarrowedBuildTokenMayFillThePullThroughCacheUnderTheMirrorsPrefix(t *testing.T) {
	addRepos("it/mirror-scoped")
	pushTo(t, stack.Registry, "docker-hub/library/busybox")
	ws := writeFiles(t, map[string]string{"Dockerfile": mirrorDockerfile})
	before := len(stack.API.SessionPolicies())
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":             "it/mirror-scoped",
		"PLUGIN_REGISTRY_MIRRORS": stack.Registry.Addr + "/docker-hub",
		"PLUGIN_ACCESS_KEY":       "AKIAMIRRORSCOPED01",
		"PLUGIN_SECRET_KEY":       "mirror-scoped-static-secret-0123",
		"PLUGIN_ASSUME_ROLE":      "arn:aws:iam::123456789012:role/ci-push",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	noDockerHub(t, r.stderr)
	_, files := readBack(t, stack.Registry.Addr+"/it/mirror-scoped:latest")
	want := map[string]string{stack.Registry.Addr: stack.Registry.ScopedUser + ":" + stack.Registry.ScopedPassword}
	if got := buildConfigAuths(t, files); !maps.Equal(got, want) {
		t.Errorf("the build's docker config holds %v, want only the narrowed token for the mirror", hosts(got))
	}
	pols := stack.API.SessionPolicies()[before:]
	if len(pols) != 1 {
		t.Fatalf("%d session policies, want 1", len(pols))
	}
	const res = `"Resource":"arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*"`
	if p := pols[0].Policy; !strings.Contains(p, `"ecr:BatchImportUpstreamImage","ecr:CreateRepository"],`+res) {
		t.Errorf("the build's policy does not let a first pull fill the cache under docker-hub/: %s", p)
	}
}

// A mirror on the base image connector's registry gets the connector's
// credentials; when it refuses them the run stops before the build with an
// error naming the mirror, instead of kaniko's three refused tries and a
// fall back to Docker Hub.
func TestMirrorOnTheBaseImageRegistryGetsItsCredentialsAndARefusalNamesIt(t *testing.T) {
	second, err := localecr.StartRegistry(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Stop()
	pushTo(t, second, "hub/library/busybox")
	bundle := secondRegistryCA(t, second)
	addRepos("it/mirror-connector")
	ws := writeFiles(t, map[string]string{"Dockerfile": mirrorDockerfile})
	env := map[string]string{
		"PLUGIN_REPO":                "it/mirror-connector",
		"PLUGIN_REGISTRY_MIRRORS":    second.Addr + "/hub",
		"PLUGIN_BASE_IMAGE_REGISTRY": "https://" + second.Addr,
		"PLUGIN_BASE_IMAGE_USERNAME": second.User,
		"PLUGIN_BASE_IMAGE_PASSWORD": second.Password,
		"SANDBOX_CA":                 bundle,
	}
	r := runPlugin(t, ws, env)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	noDockerHub(t, r.stderr)
	_, files := readBack(t, stack.Registry.Addr+"/it/mirror-connector:latest")
	want := map[string]string{second.Addr: second.User + ":" + second.Password}
	if got := buildConfigAuths(t, files); !maps.Equal(got, want) {
		t.Errorf("the build's docker config holds %v, want only the connector's credentials for the mirror", hosts(got))
	}

	env["PLUGIN_BASE_IMAGE_PASSWORD"] = "not-the-password"
	r = runPlugin(t, ws, env)
	if r.code != 1 {
		t.Fatalf("a refused mirror: exit %d, want 1\n%s", r.code, r.stderr)
	}
	if want := "registry mirror " + second.Addr + "/hub (PLUGIN_REGISTRY_MIRRORS) refused the build's credentials"; !strings.Contains(r.stderr, want) {
		t.Errorf("the error does not name the mirror (%q):\n%s", want, r.stderr)
	}
	if buildStarted(r.stderr) || strings.Contains(r.stderr, "Retrieving image") {
		t.Errorf("the build started after the mirror refused its credentials:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "not-the-password") {
		t.Error("the refused password reached the log")
	}
}

// hosts lists a docker config's hosts without the secrets.
func hosts(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// PLUGIN_REGISTRY_MAP routes another registry's images through a mirror
// on the registry (a pull-through cache for gcr.io, say), which then gets
// the registry's token; kaniko never goes to gcr.io.
func TestRegistryMapRoutesAnotherRegistrysBaseThroughTheRegistry(t *testing.T) {
	addRepos("it/mirror-map")
	pushTo(t, stack.Registry, "gcr/distroless/busybox")
	ws := writeFiles(t, map[string]string{"Dockerfile": "FROM gcr.io/distroless/busybox:1.36\nRUN cat /kaniko/.docker/config.json > /build-config.json\n"})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":                           "it/mirror-map",
		"PLUGIN_REGISTRY_MAP":                   "gcr.io=" + stack.Registry.Addr + "/gcr",
		"PLUGIN_SKIP_DEFAULT_REGISTRY_FALLBACK": "true",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, bad := range []string{"UNAUTHORIZED", "Failed to retrieve image", "from registry gcr.io"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("the log holds %q\n%s", bad, r.stderr)
		}
	}
	_, files := readBack(t, stack.Registry.Addr+"/it/mirror-map:latest")
	want := map[string]string{stack.Registry.Addr: stack.Registry.User + ":" + stack.Registry.Password}
	if got := buildConfigAuths(t, files); !maps.Equal(got, want) {
		t.Errorf("the build's docker config holds %v, want only the mapped mirror's token", hosts(got))
	}
}
