package integration

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// pickDockerfile copies with --parents and --exclude from the context and
// from an earlier stage.
const pickDockerfile = `ARG BASE
FROM ${BASE} AS gen
RUN mkdir -p /out/bin /out/obj && echo tool > /out/bin/tool && chmod 750 /out/bin/tool && echo o > /out/obj/a.o && echo doc > /out/README
FROM ${BASE}
WORKDIR /w
COPY --exclude=*.log --exclude=!keep.log app/ /app/
COPY --parents src/./**/*.go /go/
COPY --parents cmd/tool/main.go cfg/*.yaml ./
ADD --exclude=**/*.md --chmod=640 docs /docs/
COPY --from=gen --parents --exclude=obj /out/./bin /out/./README /gen/
ARG SUB=sub
COPY --exclude=*.md --exclude=!keep.md app/${SUB} /var-sub/
`

func pickFiles() map[string]string {
	return map[string]string{
		"Dockerfile": pickDockerfile, ".dockerignore": "app/secret.txt\n",
		"app/a.txt": "a\n", "app/debug.log": "debug\n", "app/keep.log": "keep\n", "app/sub/b.txt": "b\n", "app/sub/c.md": "c\n", "app/sub/keep.md": "k\n", "app/secret.txt": "ignored\n",
		"src/x/main.go": "package main\n", "src/x/README.md": "x\n", "src/y/z/lib.go": "package z\n",
		"cmd/tool/main.go": "package main\n", "cmd/tool/other.go": "package main\n", "cfg/a.yaml": "a: 1\n", "cfg/b.json": "{}\n",
		"docs/guide.txt": "guide\n", "docs/notes.md": "notes\n", "docs/sub/api.md": "api\n",
	}
}

func TestParentsAndExcludeBuildAsBuildKitBuildsThem(t *testing.T) {
	addRepos("bk/pick")
	r := runPlugin(t, writeFiles(t, pickFiles()), map[string]string{"PLUGIN_REPO": "bk/pick", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	img, _ := pulled(t, stack.Registry.Addr+"/bk/pick:latest")
	files := imageFiles(t, stack.Registry.Addr+"/bk/pick:latest")
	want := map[string]string{
		"app/a.txt": "0 644 0:0", "app/keep.log": "0 644 0:0", "app/sub/b.txt": "0 644 0:0",
		"go/x/main.go": "0 644 0:0", "go/y/z/lib.go": "0 644 0:0",
		"w/cmd/tool/main.go": "0 644 0:0", "w/cfg/a.yaml": "0 644 0:0",
		"docs/guide.txt": "0 640 0:0", "docs/sub/": "5 640 0:0",
		"gen/bin/tool": "0 750 0:0", "gen/README": "0 644 0:0",
		"var-sub/b.txt": "0 644 0:0", "var-sub/keep.md": "0 644 0:0",
	}
	for p, w := range want {
		if got := files[strings.TrimSuffix(p, "/")]; !strings.HasPrefix(got, w+" ") {
			t.Errorf("%s: %q, want %s", p, got, w)
		}
	}
	for _, p := range []string{"app/debug.log", "app/secret.txt", "go/x/README.md", "go/src", "w/cmd/tool/other.go", "w/cfg/b.json", "docs/notes.md", "docs/sub/api.md", "gen/obj", "gen/out", "docs/docs", "var-sub/c.md"} {
		if _, ok := files[p]; ok {
			t.Errorf("%s reached the image", p)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "kaniko") {
			t.Errorf("%s reached the image", f)
		}
	}
	history := historyOf(t, img)
	if strings.Contains(history, "kaniko-ecr") || !strings.Contains(history, "COPY --from=gen --parents --exclude=obj /out/./bin /out/./README /gen/") {
		t.Errorf("the history is not the Dockerfile's:\n%s", history)
	}
}

// The layer cache follows exactly the files a COPY with --exclude or
// --parents selects: a change to one it leaves out rebuilds nothing, a
// change to one it takes rebuilds from that COPY, and the image is the one
// a build without the cache makes.
func TestTheLayerCacheOfParentsAndExcludeFollowsTheSelectedFilesOnly(t *testing.T) {
	addRepos("team/pick", "team/pick-cache", "team/pick-plain")
	const dockerfile = `ARG BASE
FROM ${BASE}
RUN echo before > /before.txt
COPY --exclude=*.log --exclude=!keep.log app/ /app/
COPY --parents src/./**/*.go /go/
RUN echo after > /after.txt
`
	base := map[string]string{
		"Dockerfile": dockerfile, "app/a.txt": "a\n", "app/debug.log": "debug\n", "app/keep.log": "keep\n",
		"src/x/main.go": "package main\n", "src/x/README.md": "x\n",
	}
	env := map[string]string{"PLUGIN_REPO": "team/pick", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_CACHE_REPO": "team/pick-cache"}
	if warm := runPlugin(t, writeFiles(t, base), env); warm.code != 0 {
		t.Fatalf("warming the cache: exit %d\n%s", warm.code, warm.stderr)
	}
	for i, tc := range []struct {
		file, body string
		hits       int // of the four layer steps
	}{
		{"app/debug.log", "changed\n", 4},
		{"src/x/README.md", "changed\n", 4},
		{"app/new.log", "new\n", 4},
		{"app/a.txt", "changed\n", 1},
		{"app/keep.log", "changed\n", 1},
		{"app/new.txt", "new\n", 1},
		{"src/x/main.go", "package changed\n", 2},
		{"src/x/new.go", "package main\n", 2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			files := maps.Clone(base)
			files[tc.file] = tc.body
			tag := fmt.Sprintf("case%d", i)
			e := maps.Clone(env)
			e["PLUGIN_TAGS"] = tag
			cached := runPlugin(t, writeFiles(t, files), e)
			if cached.code != 0 {
				t.Fatalf("cached build: exit %d\n%s", cached.code, cached.stderr)
			}
			if got := cacheHits(cached.stderr, []int{4}); got[0] != tc.hits {
				t.Errorf("%d layer steps from the cache, want %d\n%s", got[0], tc.hits, cached.stderr)
			}
			e["PLUGIN_REPO"], e["PLUGIN_ENABLE_CACHE"] = "team/pick-plain", "false"
			if plain := runPlugin(t, writeFiles(t, files), e); plain.code != 0 {
				t.Fatalf("build without the cache: exit %d\n%s", plain.code, plain.stderr)
			}
			got := imageFiles(t, stack.Registry.Addr+"/team/pick:"+tag)
			want := imageFiles(t, stack.Registry.Addr+"/team/pick-plain:"+tag)
			for _, p := range slices.Sorted(maps.Keys(want)) {
				if got[p] != want[p] {
					t.Errorf("%s: %s from the cache, %s without it", p, got[p], want[p])
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					t.Errorf("%s: only in the image built with the cache (stale)", p)
				}
			}
		})
	}
}
