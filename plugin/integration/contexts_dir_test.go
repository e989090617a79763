package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dirContextDockerfile reads the directory context "shared" every way
// BuildKit supplies it, and "helper" replaces a stage; stage index 0 moves
// past the stages the contexts add.
const dirContextDockerfile = `ARG BASE
FROM ${BASE} AS first
RUN echo first > /first.txt
FROM alpine AS helper
RUN echo never > /never.txt
FROM ${BASE}
COPY --from=shared / /shared/
COPY --from=shared --chmod=0600 lib/a.txt /a.txt
COPY --from=helper /h.txt /helper.txt
COPY --from=0 /first.txt /first.txt
RUN --mount=from=shared,source=lib,target=/m cat /m/a.txt > /mounted.txt
`

func dirContextFiles() map[string]string {
	return map[string]string{
		"app/Dockerfile":             dirContextDockerfile,
		"libs/shared/lib/a.txt":      "a1\n",
		"libs/shared/lib/b.o":        "object\n",
		"libs/shared/.dockerignore":  "**/*.o\n",
		"libs/shared/run.sh":         "#!/bin/sh\n",
		"libs/helper/h.txt":          "helper\n",
		"libs/helper/sub/nested.txt": "n\n",
	}
}

func dirContextEnv(repo string) map[string]string {
	return map[string]string{
		"PLUGIN_REPO":           repo,
		"PLUGIN_CONTEXT":        "app",
		"PLUGIN_DOCKERFILE":     "app/Dockerfile",
		"PLUGIN_BUILD_ARGS":     "BASE=" + baseImage,
		"PLUGIN_BUILD_CONTEXTS": "shared=libs/shared,helper=libs/helper",
	}
}

// Directory contexts outside the build context supply COPY --from (the
// whole directory and a file, with --chmod), RUN --mount from= and a
// replaced stage, owned by root and without what their .dockerignore
// leaves out; a stage index keeps naming the user's stage.
func TestDirectoryContextsSupplyCopyMountAndAReplacedStage(t *testing.T) {
	const repo = "it/contexts-dir"
	addRepos(repo)
	ws := writeFiles(t, dirContextFiles())
	if err := os.Chmod(filepath.Join(ws, "libs/shared/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := runPlugin(t, ws, dirContextEnv(repo))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	files := imageFiles(t, stack.Registry.Addr+"/"+repo+":latest")
	want := map[string]string{
		"shared/lib/a.txt": `0 644 0:0  "a1\n"`,
		"shared/run.sh":    `0 755 0:0  "#!/bin/sh\n"`,
		"a.txt":            `0 600 0:0  "a1\n"`,
		"helper.txt":       `0 644 0:0  "helper\n"`,
		"first.txt":        `0 644 0:0  "first\n"`,
		"mounted.txt":      `0 644 0:0  "a1\n"`,
	}
	for p, w := range want {
		if files[p] != w {
			t.Errorf("/%s = %s, want %s", p, files[p], w)
		}
	}
	for _, p := range []string{"shared/lib/b.o", "never.txt", "m", "kaniko-ecr-context"} {
		if _, ok := files[p]; ok {
			t.Errorf("/%s is in the image", p)
		}
	}
}

// With the layer cache on, an unchanged rebuild takes a COPY --from a
// directory context from the cache, and a changed file of the context
// reaches every layer that reads it: no stale layer. (A stage that a RUN
// mounts, the context's too, is copied anew by every build, so a COPY
// --from it is rebuilt then: see docs/dockerfiles.md.)
func TestChangedDirectoryContextFileRebuildsTheLayersThatReadIt(t *testing.T) {
	const repo = "it/contexts-dir-cache"
	addRepos(repo, repo+"-cache")
	env := dirContextEnv(repo)
	env["PLUGIN_CACHE_REPO"] = repo + "-cache"
	files := dirContextFiles()
	mountLine := "RUN --mount=from=shared,source=lib,target=/m cat /m/a.txt > /mounted.txt\n"
	files["app/Dockerfile"] = strings.Replace(dirContextDockerfile, mountLine, "", 1)
	ws := writeFiles(t, files)
	for i, change := range []func(){
		func() {},
		func() {},
		func() { writeFile(t, filepath.Join(ws, "libs/shared/lib/a.txt"), "a2\n") },
		func() { writeFile(t, filepath.Join(ws, "app/Dockerfile"), dirContextDockerfile) },
		func() { writeFile(t, filepath.Join(ws, "libs/shared/lib/a.txt"), "a3\n") },
	} {
		change()
		r := runPlugin(t, ws, env)
		if r.code != 0 {
			t.Fatalf("build %d: exit %d\n%s", i, r.code, r.stderr)
		}
		if hit := strings.Contains(r.stderr, "Using caching version of cmd: COPY --exclude=kaniko-ecr-key-"); i == 1 && !hit {
			t.Errorf("the unchanged rebuild did not take the COPY --from the context from the cache\n%s", r.stderr)
		}
		want := map[int]string{0: "a1", 1: "a1", 2: "a2", 3: "a2", 4: "a3"}[i]
		got := imageFiles(t, stack.Registry.Addr+"/"+repo+":latest")
		for _, p := range []string{"shared/lib/a.txt", "a.txt", "mounted.txt"} {
			if p == "mounted.txt" && i < 3 {
				continue
			}
			if !strings.Contains(got[p], `"`+want+`\n"`) {
				t.Errorf("build %d: /%s = %s, want %s: a stale layer", i, p, got[p], want)
			}
		}
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
