package contextinput

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
)

func TestParseReadsBuildxFormAndNamesEveryBadItem(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct {
		name  string
		items []string
		want  map[string]named.Context
		probs []string // substrings, one per problem, in order
	}{
		{"images", []string{"base=docker-image://alpine:3.20", "alpine=docker-image://alpine:3.20@" + digest},
			map[string]named.Context{"base": {Image: "alpine:3.20"}, "alpine": {Image: "alpine:3.20@" + digest}}, nil},
		{"a name as an image reference is keyed as BuildKit keys it", []string{"docker.io/library/alpine:latest=docker-image://busybox"},
			map[string]named.Context{"alpine": {Image: "busybox"}}, nil},
		{"a tagged name keeps its tag", []string{"alpine:3.20=docker-image://busybox"}, map[string]named.Context{"alpine:3.20": {Image: "busybox"}}, nil},
		{"spaces around", []string{" base = docker-image://alpine "}, map[string]named.Context{"base": {Image: "alpine"}}, nil},
		{"no equals", []string{"base"}, nil, []string{`PLUGIN_BUILD_CONTEXTS: "base" is not name=path or name=docker-image://ref`}},
		{"empty name", []string{"=docker-image://alpine"}, nil, []string{"is not name=path"}},
		{"upper-case name", []string{"Base=docker-image://alpine"}, nil, []string{`"Base" is not a context name`}},
		{"reserved names", []string{"scratch=docker-image://alpine", "context=docker-image://alpine"}, nil, []string{`"scratch" is a reserved name`, `"context" is a reserved name`}},
		{"duplicate after normalising", []string{"alpine=docker-image://a", "docker.io/alpine=docker-image://b"}, map[string]named.Context{"alpine": {Image: "a"}},
			[]string{`"alpine" and "docker.io/alpine" name the same context "alpine"`}},
		{"bad image", []string{"base=docker-image://Alpine"}, nil, []string{`base: "Alpine" is not an image reference`}},
		{"empty image", []string{"base=docker-image://"}, nil, []string{`base: "" is not an image reference`}},
		{"scratch image", []string{"base=docker-image://scratch"}, nil, []string{`"scratch" is not an image reference`}},
		{"https", []string{"src=https://example.com/src.tar"}, nil, []string{"src: \"https://example.com/src.tar\": https contexts are not supported here"}},
		{"oci layout", []string{"src=oci-layout:///dir@" + digest}, nil, []string{"oci-layout contexts are not supported here"}},
		{"git ssh", []string{"src=git@github.com:o/r.git"}, nil, []string{"git contexts are not supported here"}},
		{"bake target", []string{"src=target:other"}, nil, []string{"target contexts are not supported here"}},
		{"empty path", []string{"src="}, nil, []string{"src: the path is empty"}},
		{"missing directory", []string{"src=nope"}, nil, []string{`src: "nope" is not a directory of the workspace`}},
		{"a file", []string{"src=file"}, nil, []string{`src: "file" is not a directory`}},
		{"outside the workspace", []string{"src=../", "abs=/"}, nil, []string{`src: "../" is outside the workspace`, `abs: "/" is outside the workspace`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, probs := Parse(tc.items, ws)
			if tc.want == nil {
				tc.want = map[string]named.Context{}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Error(d)
			}
			if len(probs) != len(tc.probs) {
				t.Fatalf("problems %q, want %d like %q", probs, len(tc.probs), tc.probs)
			}
			for i, p := range probs {
				if !strings.HasPrefix(p, "PLUGIN_BUILD_CONTEXTS: ") || !strings.Contains(p, tc.probs[i]) {
					t.Errorf("problem %q, want it to name the variable and hold %q", p, tc.probs[i])
				}
			}
		})
	}
}

func TestDirectoryContextsCarryTheirDockerignoreAndADigestOfWhatItLeaves(t *testing.T) {
	ws := t.TempDir()
	write := func(p, body string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shared/.dockerignore", "*.o\n")
	write("shared/a.c", "a")
	write("shared/a.o", "object")
	parse := func() named.Context {
		got, probs := Parse([]string{"shared=shared"}, ws)
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		return got["shared"]
	}
	first := parse()
	if first.Dir != filepath.Join(ws, "shared") || !slices.Equal(first.Excludes, []string{"*.o"}) || !strings.HasPrefix(first.Digest, "sha256:") {
		t.Fatalf("context %+v", first)
	}
	write("shared/a.o", "another object")
	if parse().Digest != first.Digest {
		t.Error("an excluded file changed the digest")
	}
	write("shared/a.c", "b")
	if parse().Digest == first.Digest {
		t.Error("a changed file left the digest alone")
	}
}

// FuzzParse: whatever the items hold, every problem names the variable,
// and every context accepted has a valid key and exactly one of an image
// or a directory of the workspace.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"base=docker-image://alpine", "a=.", "x", "=", "a=https://x", "A=docker-image://b", "alpine:3=docker-image://b@sha256:00"} {
		f.Add(s, "b=docker-image://c")
	}
	ws := f.TempDir()
	f.Fuzz(func(t *testing.T, a, b string) {
		got, probs := Parse([]string{a, b}, ws)
		for _, p := range probs {
			if !strings.HasPrefix(p, "PLUGIN_BUILD_CONTEXTS: ") {
				t.Fatalf("problem without its variable: %q", p)
			}
		}
		for k, c := range got {
			if key, err := named.Key(k); err != nil || key != k {
				t.Fatalf("key %q is not its own key (%q, %v)", k, key, err)
			}
			if (c.Image == "") == (c.Dir == "") {
				t.Fatalf("context %q is neither or both: %+v", k, c)
			}
			if c.Dir != "" && !strings.HasPrefix(c.Dir+"/", ws+"/") {
				t.Fatalf("directory %q outside the workspace %q", c.Dir, ws)
			}
		}
	})
}
