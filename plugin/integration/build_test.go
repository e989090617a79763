package integration

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const multiStage = `ARG BASE
FROM ${BASE} AS build
ARG GREETING=hello
RUN mkdir -p /out && echo "$GREETING; shell=$(readlink /bin/sh)" > /out/greeting.txt
FROM ${BASE} AS app
COPY --from=build /out/greeting.txt /app/greeting.txt
COPY src/app.txt /app/app.txt
LABEL stage=app
FROM app AS extra
RUN echo extra > /app/extra.txt
`

// pulled reads an image back from the registry and returns it with its
// flattened files (the content of those under 64 KiB).
func pulled(t *testing.T, ref string) (v1.Image, map[string]string) {
	t.Helper()
	img, raw := readBack(t, ref)
	files := map[string]string{}
	for name, body := range raw {
		if len(body) >= 1<<16 {
			body = nil
		}
		files[name] = string(body)
	}
	return img, files
}

func digestOf(t *testing.T, ref string) string {
	t.Helper()
	r, _ := name.ParseReference(ref)
	opts, _ := stack.Registry.Options()
	d, err := remote.Head(r, opts...)
	if err != nil {
		t.Fatalf("HEAD %s: %v", ref, err)
	}
	return d.Digest.String()
}

func TestMultiStageBuildIsPushedUnderTwoTagsAndReadsBack(t *testing.T) {
	addRepos("team/app")
	ws := writeFiles(t, map[string]string{"Dockerfile": multiStage, "src/app.txt": "app file\n"})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":          "team/app",
		"PLUGIN_TAGS":          "v1.0.0,latest",
		"PLUGIN_BUILD_ARGS":    "BASE=" + baseImage + ",GREETING=hi there",
		"PLUGIN_CUSTOM_LABELS": "team=core,ci=harness",
		"PLUGIN_TARGET":        "app",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	img, files := pulled(t, stack.Registry.Addr+"/team/app:v1.0.0")
	if got := files["app/greeting.txt"]; got != "hi there; shell=busybox\n" {
		t.Errorf("greeting.txt = %q: RUN did not run in the base image's shell with the build arg", got)
	}
	if got := files["app/app.txt"]; got != "app file\n" {
		t.Errorf("app.txt = %q", got)
	}
	if _, ok := files["app/extra.txt"]; ok {
		t.Error("the stage after the target was built into the image")
	}
	if _, ok := files["bin/busybox"]; !ok {
		t.Error("base image layer missing")
	}
	if _, ok := files["out/greeting.txt"]; ok {
		t.Error("a file of the build stage leaked into the final image")
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"stage": "app", "team": "core", "ci": "harness"} {
		if cf.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, cf.Config.Labels[k], v, cf.Config.Labels)
		}
	}
	d1, d2 := digestOf(t, stack.Registry.Addr+"/team/app:v1.0.0"), digestOf(t, stack.Registry.Addr+"/team/app:latest")
	if d1 != d2 {
		t.Errorf("tags differ: %s vs %s", d1, d2)
	}
	if !strings.Contains(r.stderr, "digest: "+d1) {
		t.Errorf("summary does not give the pushed digest %s:\n%s", d1, r.stderr)
	}
	for _, want := range []string{"tags pushed: v1.0.0, latest", "image: " + stack.Registry.Addr + "/team/app", "time: settings"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

func TestSecondBuildReusesCachedLayers(t *testing.T) {
	addRepos("team/cached", "team/cache")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo cached > /c.txt\nCOPY f.txt /f.txt\n", "f.txt": "f\n"})
	env := map[string]string{
		"PLUGIN_REPO":       "team/cached",
		"PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
		"PLUGIN_CACHE_REPO": "team/cache",
	}
	first := runPlugin(t, ws, env)
	if first.code != 0 {
		t.Fatalf("first build: exit %d\n%s", first.code, first.stderr)
	}
	img1, _ := pulled(t, stack.Registry.Addr+"/team/cached:latest")
	second := runPlugin(t, ws, env)
	if second.code != 0 {
		t.Fatalf("second build: exit %d\n%s", second.code, second.stderr)
	}
	if !strings.Contains(second.stderr, "Using caching version of cmd: RUN echo cached") {
		t.Errorf("second build did not use the cached RUN layer:\n%s", second.stderr)
	}
	if strings.Contains(first.stderr, "Using caching version of cmd") {
		t.Error("first build claims a cache hit on an empty cache")
	}
	img2, _ := pulled(t, stack.Registry.Addr+"/team/cached:latest")
	l1, _ := img1.Layers()
	l2, _ := img2.Layers()
	if len(l1) != len(l2) || len(l1) < 2 {
		t.Fatalf("layer counts %d, %d", len(l1), len(l2))
	}
	d1, _ := l1[1].Digest()
	d2, _ := l2[1].Digest()
	if d1 != d2 {
		t.Errorf("RUN layer differs between builds: %s vs %s", d1, d2)
	}
}

func TestInvalidSettingsExitTwoBeforeAnyCall(t *testing.T) {
	ws := writeFiles(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	before := len(stack.API.Calls())
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":          "Bad Repo",
		"PLUGIN_TAGS":          "ok,not ok",
		"PLUGIN_REGION":        "us-east-9",
		"PLUGIN_CUSTOM_LABELS": "team=core,ci.build",
	})
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"PLUGIN_REPO:", `PLUGIN_REGION: "us-east-9" is not an AWS region`, `PLUGIN_TAGS: "not ok" is not a valid tag`, `PLUGIN_CUSTOM_LABELS: "ci.build" has no = (want key=value)`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := len(stack.API.Calls()) - before; n != 0 {
		t.Errorf("%d AWS calls were made with invalid settings", n)
	}
}

func TestBinaryOutsideKanikoDirRefusesToBuild(t *testing.T) {
	ws := writeFiles(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	before := len(stack.API.Calls())
	// Still sandboxed, so a broken guard could not harm the host.
	r := runSandbox(t, ws, map[string]string{"PLUGIN_REPO": "team/guard"}, []string{"SANDBOX_BIN_PATH=/usr/local/bin/kaniko-ecr"})
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "must run from /kaniko/") || !strings.Contains(r.stderr, "PLUGIN_FORCE=true") {
		t.Errorf("message does not say how to run safely:\n%s", r.stderr)
	}
	if n := len(stack.API.Calls()) - before; n != 0 {
		t.Errorf("%d AWS calls were made before the guard", n)
	}
}

func TestSecretsNeverReachTheLogAtTraceLevel(t *testing.T) {
	addRepos("team/secret")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN true\n"})
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":       "team/secret",
		"PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
		"PLUGIN_ACCESS_KEY": "AKIAEXAMPLESTATICKEY",
		"PLUGIN_SECRET_KEY": secret,
		"PLUGIN_VERBOSITY":  "trace",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	out := r.stdout + r.stderr
	for _, s := range []string{secret, stack.Registry.Password, "AKIAEXAMPLESTATICKEY"} {
		if strings.Contains(out, s) {
			t.Errorf("a secret reached the output: %.6s...", s)
		}
	}
	// bwrap's reaper is PID 1 here, as Harness's addon is in its pods.
	if !strings.Contains(r.stderr, "kaniko-ecr is not PID 1 here") || !strings.Contains(r.stderr, "IRSA or OIDC") {
		t.Errorf("no warning that RUN steps can read the static keys in PID 1's environment:\n%s", r.stderr)
	}
	calls := stack.API.Calls()
	if last := calls[len(calls)-1]; last.AccessKey != "AKIAEXAMPLESTATICKEY" {
		t.Errorf("ECR was called with %q, not the static key", last.AccessKey)
	}
}
