package pick

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/moby/patternmatcher"
)

// tree writes files (a body "-> x" is a link to x) under a new directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(p, "/"):
			err = os.MkdirAll(full, 0o755)
		case strings.HasPrefix(body, "-> "):
			err = os.Symlink(strings.TrimPrefix(body, "-> "), full)
		default:
			err = os.WriteFile(full, []byte(body), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// list is every path under dir, directories with a trailing "/".
func list(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The trees of BuildKit's own tests of --parents and --exclude
// (frontend/dockerfile, dockerfile_parents_test.go and
// exclude_patterns_test.go at go.mod's version), with what they expect.
var (
	parentsTree = map[string]string{
		"foo1/foo2/bar": "testing", "foo1/foo2/baz": "testing2",
		"test/a/b/c/d/foo": "", "test/a/b/c/d/e/bay": "", "test/a/b2/c/d/e/bar": "",
		"test/a/b/c2/d/e/baz": "", "test/a/b/c2/d/e2/baz": "",
	}
	excludeTree = map[string]string{
		"dir1/file-101.png": "2", "dir1/file-102.txt": "3", "dir1/file-103.jpeg": "4",
		"dir2/file-201.pdf": "6", "dir2/file-202.jpeg": "7", "dir2/file-203.png": "8",
		"dir3/file-301.mp3": "9", "dir3/file-302.mpeg": "10",
		"dir4/file-401.txt": "11", "dir4/file-402.txt": "-> file-401.txt", "dir4/file-403.txt": "-> file-404.txt",
	}
)

func TestSelectionFollowsBuildKitsPatternRules(t *testing.T) {
	for _, c := range []struct {
		name    string
		files   map[string]string
		spec    Spec
		dest    string
		ignored string // a path .dockerignore leaves out
		want    []string
		err     string
	}{
		{name: "parents keeps the whole path", files: parentsTree, spec: Spec{Sources: []string{"foo1/foo2/bar"}, Parents: true},
			want: []string{"foo1/", "foo1/foo2/", "foo1/foo2/bar"}},
		{name: "parents with a wildcard", files: parentsTree, spec: Spec{Sources: []string{"foo1/foo2/ba*"}, Parents: true},
			want: []string{"foo1/", "foo1/foo2/", "foo1/foo2/bar", "foo1/foo2/baz"}},
		{name: "parents with a pivot keeps what follows it", files: parentsTree, spec: Spec{Sources: []string{"/test/a/b/./c/d"}, Parents: true},
			want: []string{"c/", "c/d/", "c/d/e/", "c/d/e/bay", "c/d/foo"}},
		{name: "a trailing /. is no pivot", files: parentsTree, spec: Spec{Sources: []string{"/test/a/b/c/d/."}, Parents: true},
			want: []string{"test/", "test/a/", "test/a/b/", "test/a/b/c/", "test/a/b/c/d/", "test/a/b/c/d/e/", "test/a/b/c/d/e/bay", "test/a/b/c/d/foo"}},
		{name: "a leading ./ is no pivot", files: parentsTree, spec: Spec{Sources: []string{"./test/a/b/c/d/e"}, Parents: true},
			want: []string{"test/", "test/a/", "test/a/b/", "test/a/b/c/", "test/a/b/c/d/", "test/a/b/c/d/e/", "test/a/b/c/d/e/bay"}},
		{name: "the first of two pivots counts", files: parentsTree, spec: Spec{Sources: []string{"/test/a/./b/./c"}, Parents: true},
			want: []string{"b/", "b/c/", "b/c/d/", "b/c/d/e/", "b/c/d/e/bay", "b/c/d/foo"}},
		{name: "a wildcard after the pivot", files: parentsTree, spec: Spec{Sources: []string{"/test/a/./*/c/d/e"}, Parents: true},
			want: []string{"b/", "b/c/", "b/c/d/", "b/c/d/e/", "b/c/d/e/bay", "b2/", "b2/c/", "b2/c/d/", "b2/c/d/e/", "b2/c/d/e/bar"}},
		{name: "wildcards before the pivot and ** after it", files: parentsTree, spec: Spec{Sources: []string{"/test/a/b*/./c/**/e"}, Parents: true},
			want: []string{"c/", "c/d/", "c/d/e/", "c/d/e/bar", "c/d/e/bay"}},
		{name: "two sources with pivots", files: parentsTree, spec: Spec{Sources: []string{"/test/a/b/c*/./d/**/baz", "/test/a/b*/./c/**/bar"}, Parents: true},
			want: []string{"c/", "c/d/", "c/d/e/", "c/d/e/bar", "d/", "d/e/", "d/e/baz", "d/e2/", "d/e2/baz"}},
		{name: "parents of a missing path fail", files: parentsTree, spec: Spec{Sources: []string{"/test/nonexistent-file"}, Parents: true}, err: "not found"},
		{name: "parents of a wildcard that matches nothing copy nothing", files: parentsTree, spec: Spec{Sources: []string{"/test/a/b3*/c"}, Parents: true}},
		{name: "parents of a wildcard after the pivot that matches nothing", files: parentsTree, spec: Spec{Sources: []string{"/test/a/b/./c3*"}, Parents: true}},
		{name: "parents and exclude", files: parentsTree, spec: Spec{Sources: []string{"/test/a/./b"}, Parents: true, Exclude: []string{"**/e"}},
			want: []string{"b/", "b/c/", "b/c/d/", "b/c/d/foo", "b/c2/", "b/c2/d/", "b/c2/d/e2/", "b/c2/d/e2/baz"}},
		{name: "exclude by pattern under the directory", files: excludeTree, spec: Spec{Sources: []string{"."}, Exclude: []string{"*/*.png", "*/*.jpeg"}},
			want: []string{"dir1/", "dir1/file-102.txt", "dir2/", "dir2/file-201.pdf", "dir3/", "dir3/file-301.mp3", "dir3/file-302.mpeg", "dir4/", "dir4/file-401.txt", "dir4/file-402.txt", "dir4/file-403.txt"}},
		{name: "exclude is relative to the source directory", files: excludeTree, spec: Spec{Sources: []string{"dir3/"}, Exclude: []string{"*.mp3"}},
			want: []string{"file-302.mpeg"}},
		{name: "exclude applies to each wildcard match", files: excludeTree, spec: Spec{Sources: []string{"dir*"}, Exclude: []string{"*.mp3", "*.jpeg", "*.png", "*.pdf", "*.txt"}},
			want: []string{"file-302.mpeg"}},
		{name: "excluding everything still creates the destination", files: excludeTree, spec: Spec{Sources: []string{"dir*"}, Exclude: []string{"*"}}},
		{name: "** matches at any depth", files: excludeTree, spec: Spec{Sources: []string{"."}, Exclude: []string{"**/*.txt", "**/*.p*"}},
			want: []string{"dir1/", "dir1/file-103.jpeg", "dir2/", "dir2/file-202.jpeg", "dir3/", "dir3/file-301.mp3", "dir3/file-302.mpeg", "dir4/"}},
		{name: "! brings a file back", files: excludeTree, spec: Spec{Sources: []string{"."}, Exclude: []string{"**/*.txt", "!dir4/file-401.txt", "dir2", "dir3"}},
			want: []string{"dir1/", "dir1/file-101.png", "dir1/file-103.jpeg", "dir4/", "dir4/file-401.txt"}},
		{name: "! inside an excluded directory brings it back as a parent", files: excludeTree, spec: Spec{Sources: []string{"."}, Exclude: []string{"dir*", "!dir1/file-102.txt"}},
			want: []string{"dir1/", "dir1/file-102.txt"}},
		{name: "a later pattern wins over an earlier !", files: excludeTree, spec: Spec{Sources: []string{"dir1"}, Exclude: []string{"*", "!*.txt", "file-1*"}}},
		{name: "a file named as a source is never excluded", files: excludeTree, spec: Spec{Sources: []string{"dir4/file-401.txt", "dir1/*.png"}, Exclude: []string{"*.txt", "*.png"}},
			want: []string{"file-101.png", "file-401.txt"}},
		{name: "a link named as a source is followed", files: excludeTree, spec: Spec{Sources: []string{"dir4/file-402.txt"}, Exclude: []string{"x"}},
			want: []string{"file-402.txt"}},
		{name: "a missing source fails", files: excludeTree, spec: Spec{Sources: []string{"dir9"}, Exclude: []string{"x"}}, err: "not found"},
		{name: "a wildcard may match nothing", files: excludeTree, spec: Spec{Sources: []string{"dir9*"}, Exclude: []string{"x"}}},
		{name: ".dockerignore applies first", files: excludeTree, ignored: "dir2", spec: Spec{Sources: []string{"."}, Exclude: []string{"dir1", "dir3", "dir4"}}},
		{name: "an ignored source is not found", files: excludeTree, ignored: "dir2", spec: Spec{Sources: []string{"dir2"}, Exclude: []string{"x"}}, err: "not found"},
		{name: "an invalid pattern fails", files: excludeTree, spec: Spec{Sources: []string{"."}, Exclude: []string{"[z-a"}}, err: "--exclude"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, root := tree(t, c.files), t.TempDir()
			tr := Tree{Root: src}
			if c.ignored != "" {
				tr.Ignored = func(rel string, _ bool) bool { return rel == c.ignored || strings.HasPrefix(rel, c.ignored+"/") }
			}
			err := tr.Copy(c.spec, Target{Root: root, Cwd: "/", Dest: "/out/"})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one naming %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := list(t, filepath.Join(root, "out")); !slices.Equal(got, c.want) {
				t.Errorf("copied\n  %q\nwant\n  %q", got, c.want)
			}
		})
	}
}

func TestCopyKeepsModesAndTakesChmodAndChown(t *testing.T) {
	src := tree(t, map[string]string{"a/x": "1", "a/b/y": "2", "a/l": "-> x"})
	if err := syscall.Chmod(filepath.Join(src, "a/x"), 0o4750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "a/b"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(filepath.Join(src, "a/b/y"), 7, 8); err != nil {
		t.Fatal(err)
	}
	stat := func(p string) (uint32, uint32, uint32) {
		t.Helper()
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		return st.Mode &^ syscall.S_IFMT, st.Uid, st.Gid
	}
	root := t.TempDir()
	spec := Spec{Sources: []string{"a"}, Exclude: []string{"nothing"}}
	if err := (Tree{Root: src}).Copy(spec, Target{Root: root, Cwd: "/w", Dest: "kept"}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string][3]uint32{"w/kept": {0o755, 0, 0}, "w/kept/x": {0o4750, 0, 0}, "w/kept/b": {0o700, 0, 0}, "w/kept/b/y": {0o644, 7, 8}} {
		if m, u, g := stat(filepath.Join(root, p)); [3]uint32{m, u, g} != want {
			t.Errorf("%s: mode %o owner %d:%d, want %o %d:%d", p, m, u, g, want[0], want[1], want[2])
		}
	}
	if l, err := os.Readlink(filepath.Join(root, "w/kept/l")); err != nil || l != "x" {
		t.Errorf("link: %q %v", l, err)
	}
	// From the context (owners 0:0), with --chmod and --chown.
	root = t.TempDir()
	if err := (Tree{Root: src, AsRoot: true}).Copy(spec, Target{Root: root, Cwd: "/", Dest: "/c/", Chmod: "640", Chown: "5:6"}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string][3]uint32{"c": {0o640, 5, 6}, "c/x": {0o640, 5, 6}, "c/b": {0o640, 5, 6}, "c/b/y": {0o640, 5, 6}} {
		if m, u, g := stat(filepath.Join(root, p)); [3]uint32{m, u, g} != want {
			t.Errorf("%s: mode %o owner %d:%d, want %o %d:%d", p, m, u, g, want[0], want[1], want[2])
		}
	}
	// A symbolic --chmod changes each entry's own mode, as chmod(1) with
	// no umask; the directories the copy creates get 0755.
	root = t.TempDir()
	if err := (Tree{Root: src, AsRoot: true}).Copy(spec, Target{Root: root, Cwd: "/", Dest: "/s/d/", Chmod: "a+rX,u-w"}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]uint32{"s": 0o755, "s/d": 0o755, "s/d/x": 0o4555, "s/d/b": 0o555, "s/d/b/y": 0o444} {
		if m, _, _ := stat(filepath.Join(root, p)); m != want {
			t.Errorf("--chmod=a+rX,u-w: %s has mode %o, want %o", p, m, want)
		}
	}
	if err := (Tree{Root: src}).Copy(spec, Target{Root: t.TempDir(), Cwd: "/", Dest: "/e/", Chmod: "u+q"}); err == nil {
		t.Error("--chmod=u+q was taken")
	}
}

func TestAFileSourceGoesToTheDestinationOrIntoIt(t *testing.T) {
	src := tree(t, map[string]string{"f": "new", "g.tar": ""})
	root := tree(t, map[string]string{"dir/": "", "old": "old"})
	spec := Spec{Sources: []string{"f"}, Exclude: []string{"x"}}
	for dest, want := range map[string]string{"/dir": "dir/f", "/old": "old", "/new": "new", "/sub/": "sub/f"} {
		if err := (Tree{Root: src}).Copy(spec, Target{Root: root, Cwd: "/", Dest: dest}); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(root, want)); err != nil || string(b) != "new" {
			t.Errorf("dest %s: %s holds %q (%v)", dest, want, b, err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "g.tar"), []byte("\x1f\x8b\x08rest"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := (Tree{Root: src}).Copy(Spec{Sources: []string{"g.tar"}, Exclude: []string{"x"}, Add: true}, Target{Root: root, Cwd: "/", Dest: "/"})
	if err == nil || !strings.Contains(err.Error(), "archive") {
		t.Errorf("ADD --exclude of an archive: %v, want a refusal", err)
	}
}

func TestDigestChangesWithTheSelectedFilesOnly(t *testing.T) {
	src := tree(t, excludeTree)
	spec := Spec{Sources: []string{"."}, Exclude: []string{"**/*.png"}}
	digest := func() string {
		t.Helper()
		ms, err := (Tree{Root: src}).Select(spec)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Digest(ms)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d0 := digest()
	if err := os.WriteFile(filepath.Join(src, "dir1/file-101.png"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := digest(); d != d0 {
		t.Error("changing an excluded file changed the digest")
	}
	if err := os.WriteFile(filepath.Join(src, "dir1/file-102.txt"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d := digest(); d == d0 {
		t.Error("changing a selected file left the digest as it was")
	}
}

// A directory .dockerignore leaves out, with an exception that could bring
// part of it back, comes only as the parent of what does come back: with
// nothing brought back it is not there at all, as in BuildKit's context.
func TestADirectoryDockerignoreLeavesOutComesOnlyAsTheParentOfAnException(t *testing.T) {
	pm, err := patternmatcher.New([]string{"docs", "!docs/keep.md", "cache", "!cache/none"})
	if err != nil {
		t.Fatal(err)
	}
	// As the context's .dockerignore judges paths (buildinput.Ignore.Skips).
	ignored := func(rel string, dir bool) bool {
		m, err := pm.MatchesOrParentMatches(rel)
		return err == nil && m && (!dir || !pm.Exclusions())
	}
	src := tree(t, map[string]string{"docs/a.md": "a", "docs/keep.md": "k", "cache/x": "x", "cache/sub/y": "y", "src/main.go": "m"})
	root := t.TempDir()
	err = Tree{Root: src, Ignored: ignored}.Copy(Spec{Sources: []string{"."}, Exclude: []string{"*.tmp"}}, Target{Root: root, Cwd: "/", Dest: "/out/"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"docs/", "docs/keep.md", "src/", "src/main.go"}
	if got := list(t, filepath.Join(root, "out")); !slices.Equal(got, want) {
		t.Errorf("copied %q, want %q", got, want)
	}
}
