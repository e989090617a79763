package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// pushMarker pushes busybox with /marker.txt holding body as ref.
func pushMarker(t *testing.T, ref, body string) string {
	t.Helper()
	base, err := localecr.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	img, err := standInLayers(base, "marker.txt", body)
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, stack.Registry, ref, img)
	return digestOf(t, ref)
}

// contextsDockerfile reads the contexts "tools" and "base" every way
// BuildKit supplies them; the stage "helper" is replaced by a context
// (its alpine base, on the unreachable Docker Hub, is never pulled).
const contextsDockerfile = `FROM alpine AS helper
RUN echo never > /never.txt
FROM base
COPY --from=tools /marker.txt /copied.txt
COPY --from=helper /marker.txt /helper.txt
RUN --mount=from=tools,source=/marker.txt,target=/m.txt cat /m.txt > /mounted.txt
`

func contextsEnv(repo, tools string) map[string]string {
	return map[string]string{
		"PLUGIN_REPO":           repo,
		"PLUGIN_BUILD_CONTEXTS": "base=docker-image://" + tools + ",tools=docker-image://" + tools + ",helper=docker-image://" + tools,
		"DRONE_BUILD_LINK":      "https://ci.example/team/app/7",
	}
}

// Image contexts supply FROM, COPY --from and RUN --mount from=, and
// replace the stage of their name; the history shows the instructions as
// written, and the provenance lists the context's image with its digest.
func TestImageContextsSupplyFromCopyAndMountAndReplaceAStage(t *testing.T) {
	const repo = "it/contexts"
	addRepos(repo)
	tools := stack.Registry.Addr + "/ctx/tools:1"
	toolsDigest := pushMarker(t, tools, "v1\n")
	ws := writeFiles(t, map[string]string{"Dockerfile": contextsDockerfile})
	r := runPlugin(t, ws, contextsEnv(repo, tools))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	image := stack.Registry.Addr + "/" + repo
	img, files := readBack(t, image+":latest")
	for _, f := range []string{"marker.txt", "copied.txt", "helper.txt", "mounted.txt"} {
		if string(files[f]) != "v1\n" {
			t.Errorf("/%s = %q, want the context's v1", f, files[f])
		}
	}
	if _, ok := files["never.txt"]; ok {
		t.Error("the replaced stage's RUN ran")
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var history []string
	for _, h := range cf.History {
		history = append(history, h.CreatedBy)
	}
	all := strings.Join(history, "\n")
	for _, want := range []string{"COPY --from=tools /marker.txt /copied.txt", "RUN --mount=from=tools,source=/marker.txt,target=/m.txt cat /m.txt > /mounted.txt"} {
		if !strings.Contains(all, want) {
			t.Errorf("history lacks %q:\n%s", want, all)
		}
	}
	digest := digestOf(t, image+":latest")
	_, _, payload := referrer(t, image, digest)
	checkStatement(t, payload, image, digest, map[string]string{tools: toolsDigest})
}

// With the layer cache on, moving the tag an image context names gives
// the next build the new image in every place that reads it.
func TestMovedImageContextTagRebuildsWithTheNewImage(t *testing.T) {
	const repo = "it/contexts-cache"
	addRepos(repo, repo+"-cache")
	tools := stack.Registry.Addr + "/ctx/moving:1"
	pushMarker(t, tools, "v1\n")
	env := contextsEnv(repo, tools)
	env["PLUGIN_CACHE_REPO"] = repo + "-cache"
	ws := writeFiles(t, map[string]string{"Dockerfile": contextsDockerfile})
	if r := runPlugin(t, ws, env); r.code != 0 {
		t.Fatalf("first build: exit %d\n%s", r.code, r.stderr)
	}
	pushMarker(t, tools, "v2\n")
	r := runPlugin(t, ws, env)
	if r.code != 0 {
		t.Fatalf("second build: exit %d\n%s", r.code, r.stderr)
	}
	_, files := readBack(t, stack.Registry.Addr+"/"+repo+":latest")
	for _, f := range []string{"marker.txt", "copied.txt", "helper.txt", "mounted.txt"} {
		if string(files[f]) != "v2\n" {
			t.Errorf("/%s = %q after the tag moved, want v2 (a stale layer)", f, files[f])
		}
	}
}

// The dry-run plan lists the contexts; a wrong item is exit 2 with the
// rest, before anything is contacted.
func TestDryRunListsTheBuildContextsAndBadOnesExitTwoBeforeAnyCall(t *testing.T) {
	ws := writeFiles(t, map[string]string{"Dockerfile": contextsDockerfile})
	env := contextsEnv("team/dry-contexts", "reg.example/tools:1")
	env["PLUGIN_DRY_RUN"] = "true"
	r := runPlugin(t, ws, env)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var plan struct{ Contexts map[string]map[string]string }
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("plan is not JSON: %v\n%s", err, r.stdout)
	}
	if plan.Contexts["tools"]["image"] != "reg.example/tools:1" || len(plan.Contexts) != 3 {
		t.Errorf("plan contexts %v", plan.Contexts)
	}
	before := len(stack.API.Calls())
	env["PLUGIN_BUILD_CONTEXTS"] = "tools=oci-layout:///x,Bad=docker-image://a"
	delete(env, "PLUGIN_DRY_RUN")
	r = runPlugin(t, ws, env)
	if r.code != 2 || !strings.Contains(r.stderr, "PLUGIN_BUILD_CONTEXTS: tools") || !strings.Contains(r.stderr, `PLUGIN_BUILD_CONTEXTS: "Bad"`) {
		t.Errorf("exit %d, want 2 naming both items\n%s", r.code, r.stderr)
	}
	if n := len(stack.API.Calls()) - before; n != 0 {
		t.Errorf("%d AWS calls before validation ended", n)
	}
}

// An image context that names Docker Hub comes through the registry
// mirror, as the build's own pulls do (Docker Hub is unreachable here and
// the fallback to it is off), for FROM, COPY --from and a mount alike.
func TestDockerHubImageContextComesThroughTheMirror(t *testing.T) {
	const repo = "it/contexts-mirror"
	addRepos(repo)
	pushMarker(t, stack.Registry.Addr+"/library/ctxtools:1.36", "hub\n")
	ws := writeFiles(t, map[string]string{"Dockerfile": contextsDockerfile})
	env := map[string]string{
		"PLUGIN_REPO":                           repo,
		"PLUGIN_BUILD_CONTEXTS":                 "base=docker-image://ctxtools:1.36,tools=docker-image://ctxtools:1.36,helper=docker-image://ctxtools:1.36",
		"PLUGIN_REGISTRY_MIRRORS":               stack.Registry.Addr,
		"PLUGIN_SKIP_DEFAULT_REGISTRY_FALLBACK": "true",
	}
	r := runPlugin(t, ws, env)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	noDockerHub(t, r.stderr)
	_, files := readBack(t, stack.Registry.Addr+"/"+repo+":latest")
	for _, f := range []string{"copied.txt", "helper.txt", "mounted.txt"} {
		if string(files[f]) != "hub\n" {
			t.Errorf("/%s = %q, want the mirrored image's", f, files[f])
		}
	}
}
