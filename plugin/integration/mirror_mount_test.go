package integration

import (
	"strings"
	"testing"
)

// An image a RUN mounts with from= is pulled the way kaniko pulls a base
// image: a Docker Hub name goes through the authenticated mirror (the
// fallback to Docker Hub is off, and Docker Hub is unreachable here), and
// the provenance lists the mounted image with the digest the build used.
func TestImageMountedFromDockerHubComesThroughTheMirrorAndIsInTheProvenance(t *testing.T) {
	const repo = "it/mirror-mount"
	addRepos(repo)
	pushTo(t, stack.Registry, "library/busybox")
	pushTo(t, stack.Registry, "library/toolbox")
	dockerfile := "FROM busybox:1.36\n" +
		"RUN --mount=from=toolbox:1.36,source=/bin,target=/hub-bin ls /hub-bin > /mounted.ls\n"
	ws := writeFiles(t, map[string]string{"Dockerfile": dockerfile})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":                           repo,
		"PLUGIN_REGISTRY_MIRRORS":               stack.Registry.Addr,
		"PLUGIN_SKIP_DEFAULT_REGISTRY_FALLBACK": "true",
		"DRONE_BUILD_LINK":                      "https://ci.example/team/app/7",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	noDockerHub(t, r.stderr)
	image := stack.Registry.Addr + "/" + repo
	_, files := readBack(t, image+":latest")
	if ls := string(files["mounted.ls"]); !strings.Contains(ls, "busybox") {
		t.Errorf("the mounted image's /bin lists %q, want busybox in it", ls)
	}
	digest := digestOf(t, image+":latest")
	_, _, payload := referrer(t, image, digest)
	checkStatement(t, payload, image, digest, map[string]string{
		"busybox:1.36": digestOf(t, stack.Registry.Addr+"/library/busybox:1.36"),
		"toolbox:1.36": digestOf(t, stack.Registry.Addr+"/library/toolbox:1.36"),
	})
}
