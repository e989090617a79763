package rootfs

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFillCopiesTheDirectoryButWhatItsPatternsLeaveOut(t *testing.T) {
	src := t.TempDir()
	for p, body := range map[string]string{"a.c": "a", "a.o": "o", "lib/b.c": "b", "lib/keep.o": "k", ".dockerignore": "*.o"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.c", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "ctx")
	if err := Fill(dst, src, []string{"**/*.o", "!lib/keep.o"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := filepath.Walk(dst, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dst, p)
		got = append(got, rel+" "+fi.Mode().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{". drwxr-xr-x", ".dockerignore -rw-r-----", "a.c -rw-r-----", "lib drwxr-xr-x", "lib/b.c -rw-r-----", "lib/keep.o -rw-r-----", "link Lrwxrwxrwx"}
	if os.Geteuid() != 0 {
		t.Skip("copies owned by root need root")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestFillRefusesBadPatterns(t *testing.T) {
	if err := Fill(filepath.Join(t.TempDir(), "x"), t.TempDir(), []string{"["}); err == nil {
		t.Error("a bad pattern was accepted")
	}
}

// A directory the patterns leave out, entered because an exception could
// bring part of it back, is kept only as the parent of what comes back.
func TestFillKeepsAnExcludedDirectoryOnlyAsTheParentOfAnException(t *testing.T) {
	src := t.TempDir()
	for _, p := range []string{"docs/a.md", "docs/keep.md", "cache/x", "cache/sub/y", "src/main.go"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "ctx")
	if err := Fill(dst, src, []string{"docs", "!docs/keep.md", "cache", "!cache/none"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dst {
			rel, _ := filepath.Rel(dst, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"docs", "docs/keep.md", "src", "src/main.go"}, got); d != "" {
		t.Error(d)
	}
	if fi, err := os.Stat(filepath.Join(dst, "docs")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("docs kept as a parent: %v (%v), want its mode 0755", fi.Mode(), err)
	}
}
