package integration

import (
	"archive/tar"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// cacheDockerfile has one layer step of each kind the cache matrix
// changes: two in the stage "build", eight in the final stage.
const cacheDockerfile = `ARG BASE
FROM ${BASE} AS build
ARG USED=u
ARG UNUSED=x
COPY gen.txt /gen.txt
RUN mkdir -p /out && cp /gen.txt /out/gen.txt && echo "$USED" > /out/used.txt
FROM ${BASE}
ARG OWNER=1000
COPY --chown=${OWNER}:${OWNER} conf/*.conf /etc/app/
COPY app/ /app/
COPY --chmod=0755 run.sh /usr/local/bin/run.sh
RUN --mount=type=bind,source=bound.txt,target=/b.txt cat /b.txt > /bound-copy.txt
RUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo ok > /secret-ok.txt
COPY <<EOF /heredoc.txt
hello
EOF
COPY --from=build /out /from-build
ADD extra/ /extra/
LABEL version=1
`

// cacheStageSteps is how many cached layer steps each stage has.
var cacheStageSteps = []int{2, 8}

func cacheFiles() map[string]string {
	return map[string]string{
		"Dockerfile": cacheDockerfile, "gen.txt": "generated\n", "app/a.txt": "a\n", "app/sub/b.txt": "b\n",
		"run.sh": "#!/bin/sh\necho run\n", "bound.txt": "bound\n", "secret.txt": "s3cret-one",
		".dockerignore": "app/ignored.txt\n", "conf/a.conf": "conf\n", "app/link": "symlink:a.txt", "extra/x.txt": "x\n",
	}
}

// writeCacheFiles is writeFiles, with a value "symlink:<target>" made a
// symbolic link.
func writeCacheFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	plain, links := map[string]string{}, map[string]string{}
	for f, body := range files {
		if target, ok := strings.CutPrefix(body, "symlink:"); ok {
			links[f] = target
		} else {
			plain[f] = body
		}
	}
	ws := writeFiles(t, plain)
	for f, target := range links {
		if err := os.Symlink(target, filepath.Join(ws, f)); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

func cacheEnv(repo, cacheRepo string) map[string]string {
	return map[string]string{
		"PLUGIN_REPO":              repo,
		"PLUGIN_BUILD_ARGS":        "BASE=" + baseImage,
		"PLUGIN_CACHE_REPO":        cacheRepo,
		"PLUGIN_SECRETS_FROM_FILE": "tok=secret.txt",
	}
}

var cacheEvent = regexp.MustCompile(`(Using caching version of cmd|No cached layer found for cmd)`)

// cacheHits reads kaniko's log: how many layer steps of each stage came
// from the cache before the first one that did not (kaniko looks no
// further in a stage after a miss).
func cacheHits(log string, steps []int) []int {
	var hit []bool
	for _, m := range cacheEvent.FindAllString(log, -1) {
		hit = append(hit, strings.HasPrefix(m, "Using"))
	}
	hits := make([]int, len(steps))
	for s, n := range steps {
		for range n {
			if len(hit) == 0 {
				break
			}
			h := hit[0]
			hit = hit[1:]
			if !h {
				break
			}
			hits[s]++
		}
	}
	return hits
}

// imageFiles is every path of an image's flattened filesystem with its
// type, mode and content: what a stale layer would show.
func imageFiles(t *testing.T, ref string) map[string]string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := stack.Registry.Options()
	img, err := remote.Image(r, opts...)
	if err != nil {
		t.Fatalf("reading %s: %v", ref, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		files[strings.TrimPrefix(h.Name, "./")] = fmt.Sprintf("%c %o %d:%d %s %q", h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname, body)
	}
}

// blobUploads counts the blob uploads the registry's access log shows
// after offset (the PUT that completes each).
func blobUploads(log string, offset int) []string {
	var ups []string
	for _, l := range strings.Split(log[offset:], "\n") {
		if strings.Contains(l, `"PUT /v2/`) && strings.Contains(l, "/blobs/uploads/") {
			ups = append(ups, l)
		}
	}
	return ups
}

// A fresh checkout of an unchanged commit, built from an empty root
// against the warm remote cache, is the image the build before it pushed:
// the same digest, with no blob and no manifest uploaded.
func TestUnchangedRebuildKeepsItsDigestAndUploadsNothing(t *testing.T) {
	addRepos("team/unchanged", "team/unchanged-cache")
	env := cacheEnv("team/unchanged", "team/unchanged-cache")
	first := runPlugin(t, writeCacheFiles(t, cacheFiles()), env)
	if first.code != 0 {
		t.Fatalf("first build: exit %d\n%s", first.code, first.stderr)
	}
	ref := stack.Registry.Addr + "/team/unchanged:latest"
	before := digestOf(t, ref)
	offset := len(stack.Registry.Log())

	time.Sleep(1100 * time.Millisecond) // the clock moves on: a new created time would show
	second := runPlugin(t, writeCacheFiles(t, cacheFiles()), env)
	if second.code != 0 {
		t.Fatalf("second build: exit %d\n%s", second.code, second.stderr)
	}
	if got := cacheHits(second.stderr, cacheStageSteps); !slices.Equal(got, cacheStageSteps) {
		t.Errorf("cache hits per stage %v, want every step %v\n%s", got, cacheStageSteps, second.stderr)
	}
	if after := digestOf(t, ref); after != before {
		t.Errorf("digest %s after an unchanged rebuild, want %s", after, before)
	}
	if ups := blobUploads(stack.Registry.Log(), offset); len(ups) != 0 {
		t.Errorf("the rebuild uploaded %d blobs:\n%s", len(ups), strings.Join(ups, "\n"))
	}
	if want := "unchanged: " + before + ", nothing uploaded"; !strings.Contains(second.stderr, want) {
		t.Errorf("the summary lacks %q:\n%s", want, second.stderr)
	}
	if strings.Contains(first.stderr, ", nothing uploaded") {
		t.Errorf("the first build claims it changed nothing:\n%s", first.stderr)
	}
	img, _ := pulled(t, ref)
	cf, _ := img.ConfigFile()
	for _, h := range cf.History {
		if strings.Contains(h.CreatedBy, "--exclude") || strings.Contains(h.CreatedBy, "kaniko-ecr") {
			t.Errorf("the history shows the plugin's cache key flag: %q", h.CreatedBy)
		}
	}
}

// One change at a time against a warm remote cache, each build from an
// empty root and a fresh workspace: each rebuilds from the step BuildKit
// rebuilds from (or, for COPY --from a stage, sooner), and the image's
// files are those of a build of the same change with the cache off.
func TestEachChangeRebuildsFromTheRightStepWithNoStaleContent(t *testing.T) {
	addRepos("team/matrix", "team/matrix-cache", "team/matrix-plain")
	warm := runPlugin(t, writeCacheFiles(t, cacheFiles()), cacheEnv("team/matrix", "team/matrix-cache"))
	if warm.code != 0 {
		t.Fatalf("warming the cache: exit %d\n%s", warm.code, warm.stderr)
	}
	cases := cacheCases()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files, env := cacheFiles(), cacheEnv("team/matrix", "team/matrix-cache")
			tc.change(files, env)
			ws := writeCacheFiles(t, files)
			if tc.name == "mtimes only" {
				old := time.Now().Add(-48 * time.Hour)
				for f := range files {
					_ = os.Chtimes(filepath.Join(ws, f), old, old)
				}
			}
			tag := fmt.Sprintf("case%d", i)
			env["PLUGIN_TAGS"] = tag
			cached := runPlugin(t, ws, env)
			if cached.code != 0 {
				t.Fatalf("cached build: exit %d\n%s", cached.code, cached.stderr)
			}
			if got := cacheHits(cached.stderr, cacheStageSteps); !slices.Equal(got, tc.hits) {
				t.Errorf("cache hits per stage %v, want %v\n%s", got, tc.hits, cached.stderr)
			}
			plainEnv := maps.Clone(env)
			plainEnv["PLUGIN_REPO"], plainEnv["PLUGIN_ENABLE_CACHE"] = "team/matrix-plain", "false"
			plain := runPlugin(t, writeCacheFiles(t, files), plainEnv)
			if plain.code != 0 {
				t.Fatalf("build with the cache off: exit %d\n%s", plain.code, plain.stderr)
			}
			got := imageFiles(t, stack.Registry.Addr+"/team/matrix:"+tag)
			want := imageFiles(t, stack.Registry.Addr+"/team/matrix-plain:"+tag)
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

// cacheCase is one change against the warm cache, with the cache hits per
// stage (build, final) kaniko-ecr gets and those BuildKit gets.
type cacheCase struct {
	name     string
	change   func(files, env map[string]string)
	hits     []int
	buildkit []int
}

// cacheCases are the changes of the cache matrix, one at a time. Where
// BuildKit's hits differ, the README says why.
func cacheCases() []cacheCase {
	edit := func(file, from, to string) func(map[string]string, map[string]string) {
		return func(f, _ map[string]string) { f[file] = strings.Replace(f[file], from, to, 1) }
	}
	return []cacheCase{
		{"mtimes only", func(map[string]string, map[string]string) {}, []int{2, 8}, []int{2, 8}},
		{"a copied file", edit("app/a.txt", "a", "A"), []int{2, 1}, []int{2, 1}},
		{"a file renamed in a copied directory", func(f, _ map[string]string) { f["app/sub/c.txt"] = f["app/sub/b.txt"]; delete(f, "app/sub/b.txt") }, []int{2, 1}, []int{2, 1}},
		{"an ignored file in a copied directory", func(f, _ map[string]string) { f["app/ignored.txt"] = "ignored\n" }, []int{2, 8}, []int{2, 8}},
		{"a symlink's target", func(f, _ map[string]string) { f["app/link"] = "symlink:sub/b.txt" }, []int{2, 1}, []int{2, 1}},
		{"a file a wildcard matches renamed", func(f, _ map[string]string) { f["conf/b.conf"] = f["conf/a.conf"]; delete(f, "conf/a.conf") }, []int{2, 0}, []int{2, 0}},
		{"--chown from a declared arg", func(_, e map[string]string) { e["PLUGIN_BUILD_ARGS"] += ",OWNER=2000" }, []int{2, 0}, []int{2, 0}},
		{"--chmod", edit("Dockerfile", "--chmod=0755", "--chmod=0700"), []int{2, 2}, []int{2, 2}},
		// kaniko hands the args a stage declares on to the stages after it,
		// and RUN's key holds them all: the final stage's first RUN misses
		// too. BuildKit rebuilds only COPY --from there, or, for the unused
		// arg, nothing of the final stage (the stage's output is the same).
		{"a used declared arg", func(_, e map[string]string) { e["PLUGIN_BUILD_ARGS"] += ",USED=v" }, []int{1, 3}, []int{1, 6}},
		{"an unused declared arg", func(_, e map[string]string) { e["PLUGIN_BUILD_ARGS"] += ",UNUSED=y" }, []int{1, 3}, []int{1, 8}},
		{"an undeclared build arg", func(_, e map[string]string) { e["PLUGIN_BUILD_ARGS"] += ",OTHER=1" }, []int{2, 8}, []int{2, 8}},
		{"a heredoc body", edit("Dockerfile", "hello", "goodbye"), []int{2, 5}, []int{2, 5}},
		{"a bind-mounted file", edit("bound.txt", "bound", "rebound"), []int{2, 3}, []int{2, 3}},
		{"a secret's value", edit("secret.txt", "one", "two"), []int{2, 8}, []int{2, 8}},
		{"a file only an earlier stage copies", edit("gen.txt", "generated", "regenerated"), []int{0, 6}, []int{0, 6}},
		// The same content under a new name: kaniko's own key for the
		// COPY --from would not change.
		{"a file renamed in an earlier stage's output", edit("Dockerfile", "/out/gen.txt", "/out/renamed.txt"), []int{1, 6}, []int{1, 6}},
		{"a file an ADD copies", edit("extra/x.txt", "x", "y"), []int{2, 7}, []int{2, 7}},
		{"a label", edit("Dockerfile", "version=1", "version=2"), []int{2, 8}, []int{2, 8}},
	}
}
