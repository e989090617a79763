package integration

import (
	"fmt"
	"strings"
	"testing"
)

// mountFrom mounts files of earlier stages and of an image, as BuildKit
// does: bind read-only and rw, a whole scratch stage at the WORKDIR, and a
// cache seeded from a stage. %s is the base image's reference, which
// from= takes literally.
const mountFrom = `ARG BASE
FROM ${BASE} AS build
RUN mkdir -p /out && echo built > /out/app && chmod 750 /out/app && echo lib > /out/lib.txt
FROM scratch AS binaries
COPY --from=build /out/app /
FROM ${BASE}
WORKDIR /w
RUN --mount=from=build,source=/out,target=/o cp /o/app /app.copy && stat -c %%a /o/app > /mode.txt
RUN --mount=from=build,source=/out,target=/o,rw echo changed > /o/app && cat /o/app > /rw.txt
RUN --mount=from=binaries ls -a /w > /whole.txt && stat -c %%a /w > /wmode.txt
RUN --mount=type=cache,from=build,source=/out,target=/c,id=seeded cat /c/lib.txt > /seed.txt && echo more >> /c/lib.txt
RUN --mount=type=cache,from=build,source=/out,target=/c,id=seeded cat /c/lib.txt > /seed2.txt
RUN --mount=from=%s,source=/bin,target=/img ls /img/busybox > /img.txt
`

func TestMountsFromStagesAndImagesBuildAsBuildKitBuildsThem(t *testing.T) {
	addRepos("bk/mountfrom")
	ws := writeFiles(t, map[string]string{"Dockerfile": fmt.Sprintf(mountFrom, baseImage)})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/mountfrom", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	img, files := pulled(t, stack.Registry.Addr+"/bk/mountfrom:latest")
	for path, want := range map[string]string{
		"app.copy": "built\n", "mode.txt": "750\n", "rw.txt": "changed\n", "whole.txt": ".\n..\napp\n", "wmode.txt": "755\n",
		"seed.txt": "lib\n", "seed2.txt": "lib\nmore\n", "img.txt": "/img/busybox\n",
	} {
		if files[path] != want {
			t.Errorf("%s = %q, want %q", path, files[path], want)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "o/") || strings.HasPrefix(f, "c/") || strings.HasPrefix(f, "img/") || strings.HasPrefix(f, "w/app") || strings.HasPrefix(f, "kaniko") {
			t.Errorf("mount content %s reached the image", f)
		}
	}
	history := historyOf(t, img)
	if strings.Contains(history, "kaniko-ecr") || strings.Contains(history, "COPY --from=build") {
		t.Errorf("the history shows what the plugin added:\n%s", history)
	}
	if !strings.Contains(history, "RUN --mount=from=build,source=/out,target=/o,rw") {
		t.Errorf("the history lacks the RUN as written:\n%s", history)
	}
}

// With kaniko's layer cache, a rebuild takes the RUNs from the cache, keeps
// the mounted stage's files again, and adds nothing to the image.
func TestMountsFromAStageRebuildFromTheLayerCacheWithTheSameImage(t *testing.T) {
	addRepos("bk/mountcached", "bk/mountcached-cache")
	const dockerfile = `ARG BASE
FROM ${BASE} AS build
RUN mkdir -p /out && echo built > /out/app
FROM ${BASE}
RUN echo before > /before.txt
RUN --mount=from=build,source=/out,target=/o cp /o/app /app.copy
`
	ws := writeFiles(t, map[string]string{"Dockerfile": dockerfile})
	env := map[string]string{"PLUGIN_REPO": "bk/mountcached", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_CACHE_REPO": "bk/mountcached-cache"}
	var histories []string
	for round := 0; round < 2; round++ {
		r := runPlugin(t, ws, env)
		if r.code != 0 {
			t.Fatalf("round %d: exit %d\n%s", round, r.code, r.stderr)
		}
		if round == 1 && !strings.Contains(r.stderr, "Using caching version of cmd: RUN echo before") {
			t.Errorf("the rebuild did not use the layer cache:\n%s", r.stderr)
		}
		img, files := pulled(t, stack.Registry.Addr+"/bk/mountcached:latest")
		if files["app.copy"] != "built\n" {
			t.Errorf("round %d: app.copy = %q", round, files["app.copy"])
		}
		histories = append(histories, historyOf(t, img))
	}
	if histories[0] != histories[1] || strings.Contains(histories[1], "kaniko-ecr") || strings.Contains(histories[1], "COPY") {
		t.Errorf("the cached rebuild's history differs or shows the plugin's lines:\n%s\n---\n%s", histories[0], histories[1])
	}
}

// kaniko counts only FROM and COPY --from as uses of a stage; a stage that
// is only mounted from is still built when unused stages are skipped.
func TestAStageOnlyMountedFromIsBuiltWhenUnusedStagesAreSkipped(t *testing.T) {
	addRepos("bk/mountskip")
	const dockerfile = `ARG BASE
FROM ${BASE} AS build
RUN mkdir -p /out && echo built > /out/app
FROM ${BASE}
RUN --mount=from=build,source=/out,target=/o cp /o/app /app.copy
`
	ws := writeFiles(t, map[string]string{"Dockerfile": dockerfile})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/mountskip", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_SKIP_UNUSED_STAGES": "true"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, files := pulled(t, stack.Registry.Addr+"/bk/mountskip:latest"); files["app.copy"] != "built\n" {
		t.Errorf("app.copy = %q", files["app.copy"])
	}
}
