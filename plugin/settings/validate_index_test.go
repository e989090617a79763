package settings

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestIndexSourcesResolveToReferencesInTheRegistry(t *testing.T) {
	dir := t.TempDir() // no Dockerfile: index mode needs none
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
		wait time.Duration
	}{
		{
			name: "tags of the repository",
			env:  map[string]string{"PLUGIN_INDEX_SOURCES": "1.2.3-amd64, 1.2.3-arm64"},
			want: []string{testRegistry + "/team/app:1.2.3-amd64", testRegistry + "/team/app:1.2.3-arm64"},
		},
		{
			name: "full references in the same registry, by tag and by digest, other repositories too",
			env:  map[string]string{"PLUGIN_INDEX_SOURCES": `["` + testRegistry + `/team/app-arm:v1","` + testRegistry + `/team/app@` + digest + `"]`},
			want: []string{testRegistry + "/team/app-arm:v1", testRegistry + "/team/app@" + digest},
		},
		{
			name: "wait as a duration",
			env:  map[string]string{"PLUGIN_INDEX_SOURCES": "a", "PLUGIN_INDEX_WAIT": "15m"},
			want: []string{testRegistry + "/team/app:a"},
			wait: 15 * time.Minute,
		},
		{
			name: "wait as seconds",
			env:  map[string]string{"PLUGIN_INDEX_SOURCES": "a", "PLUGIN_INDEX_WAIT": "90"},
			want: []string{testRegistry + "/team/app:a"},
			wait: 90 * time.Second,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_TAGS": "1.2.3,latest"}
			for k, v := range tc.env {
				env[k] = v
			}
			p, err := validate(t, dir, env)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.IndexSources); diff != "" {
				t.Errorf("IndexSources (-want +got):\n%s", diff)
			}
			if !p.IsIndex() || p.IndexWait != tc.wait || p.Dockerfile != "" {
				t.Errorf("IsIndex %v, IndexWait %s, Dockerfile %q; want index mode, %s, no Dockerfile", p.IsIndex(), p.IndexWait, p.Dockerfile, tc.wait)
			}
		})
	}
}

func TestIndexModeRefusesBuildSettingsAndBadSources(t *testing.T) {
	dir := workspace(t)
	for _, tc := range []struct {
		name  string
		env   map[string]string
		want  []string
		other bool // the modes' own checks add problems
	}{
		{
			name:  "every build-only setting is named",
			other: true,
			env: map[string]string{
				"PLUGIN_DOCKERFILE": "Dockerfile", "PLUGIN_BUILD_ARGS": "A=1", "PLUGIN_BUILD_ARGS_NEW": "B=2",
				"PLUGIN_BUILD_ARGS_FROM_ENV": "HOME", "PLUGIN_TARGET": "final", "PLUGIN_NO_PUSH": "true",
				"PLUGIN_DESTINATION_TAR_PATH": "out.tar", "PLUGIN_PUSH_ONLY": "yes", "PLUGIN_PLATFORM": "linux/arm64",
				"PLUGIN_LABELS": "a=b", "PLUGIN_CACHE_REPO": "team/cache", "PLUGIN_CONTEXT_SUB_PATH": "sub",
				"PLUGIN_COMPRESSION": "zstd", "PLUGIN_COMPRESSION_LEVEL": "3",
			},
			want: []string{
				"PLUGIN_DOCKERFILE is a build setting, but PLUGIN_INDEX_SOURCES joins existing images and builds nothing",
				"PLUGIN_BUILD_ARGS is a build setting", "PLUGIN_BUILD_ARGS_NEW is a build setting",
				"PLUGIN_BUILD_ARGS_FROM_ENV is a build setting", "PLUGIN_TARGET is a build setting",
				"PLUGIN_NO_PUSH is a build setting", "PLUGIN_TAR_PATH is a build setting", "PLUGIN_PUSH_ONLY is a build setting",
				"PLUGIN_PLATFORM is a build setting", "PLUGIN_CUSTOM_LABELS is a build setting",
				"PLUGIN_CACHE_REPO is a build setting", "PLUGIN_CONTEXT_SUB_PATH is a build setting",
				"PLUGIN_COMPRESSION is a build setting", "PLUGIN_COMPRESSION_LEVEL is a build setting",
			},
		},
		{
			name: "a source in another registry, a malformed one, a repeat and a tag the index replaces",
			env: map[string]string{
				"PLUGIN_INDEX_SOURCES": "docker.io/library/busybox:1,a b,x," + testRegistry + "/team/app:x,latest",
			},
			want: []string{
				`PLUGIN_INDEX_SOURCES: "docker.io/library/busybox:1" is neither a tag of PLUGIN_REPO nor an image reference in ` + testRegistry,
				`PLUGIN_INDEX_SOURCES: "a b" is neither a tag`,
				`PLUGIN_INDEX_SOURCES: "x" and "` + testRegistry + `/team/app:x" are the same image`,
				`PLUGIN_INDEX_SOURCES: "latest" is also in PLUGIN_TAGS: the index would replace its own source`,
			},
		},
		{
			name: "a repository name ECR refuses",
			env:  map[string]string{"PLUGIN_INDEX_SOURCES": testRegistry + "/Team/App:v1"},
			want: []string{`PLUGIN_INDEX_SOURCES: "` + testRegistry + `/Team/App:v1" is neither a tag`},
		},
		{
			name: "wait without sources, and a wait that is no duration",
			env:  map[string]string{"PLUGIN_INDEX_SOURCES": "", "PLUGIN_INDEX_WAIT": "soon"},
			want: []string{`PLUGIN_INDEX_WAIT: "soon" is not a duration`},
		},
		{
			name: "wait without sources",
			env:  map[string]string{"PLUGIN_INDEX_SOURCES": "", "PLUGIN_INDEX_WAIT": "5m"},
			want: []string{"PLUGIN_INDEX_WAIT is only used with PLUGIN_INDEX_SOURCES"},
		},
		{
			name: "a wait beyond the bound",
			env:  map[string]string{"PLUGIN_INDEX_WAIT": "7h"},
			want: []string{`PLUGIN_INDEX_WAIT: "7h" is out of range (0 to 6h0m0s)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_INDEX_SOURCES": "amd64,arm64"}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := validate(t, dir, env)
			ve := wantProblems(t, err, tc.want)
			if len(ve.Problems) != len(tc.want) && !tc.other {
				t.Errorf("%d problems, want %d:\n%v", len(ve.Problems), len(tc.want), err)
			}
		})
	}
}

// FuzzIndexSources: whatever PLUGIN_INDEX_SOURCES holds, an accepted
// source is a valid reference in the plan's registry, and sources are
// distinct.
func FuzzIndexSources(f *testing.F) {
	for _, s := range []string{"amd64,arm64", testRegistry + "/team/app:v1", testRegistry + "/x@sha256:abc", `["a,b"]`, "docker.io/x:y", testRegistry + "/A:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var s Settings
		_ = s.IndexSources.Decode(raw)
		p := &Plan{Host: testRegistry, Registry: testRegistry, Repo: "team/app", Tags: []string{"latest"}}
		var probs []string
		validateIndex(&s, Env{Lookup: func(string) (string, bool) { return "", false }}, p, func(f string, a ...any) { probs = append(probs, f) })
		seen := map[string]bool{}
		for _, src := range p.IndexSources {
			ref, err := name.ParseReference(src, name.StrictValidation)
			if err != nil || ref.Context().RegistryStr() != testRegistry || seen[src] {
				t.Fatalf("accepted %q from %q", src, raw)
			}
			seen[src] = true
		}
		for _, pr := range probs {
			if !strings.HasPrefix(pr, "PLUGIN_") {
				t.Fatalf("problem without its variable: %q", pr)
			}
		}
	})
}
