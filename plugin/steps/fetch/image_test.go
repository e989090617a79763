package fetch

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func tarOf(t *testing.T, hs ...*tar.Header) *tar.Reader {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Name))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(h.Name))
		}
	}
	tw.Close()
	return tar.NewReader(&b)
}

// An image whose file system puts a file under a link to elsewhere never
// writes outside the directory the subtree is extracted into.
func TestExtractWritesOnlyTheSubtreeAndNeverThroughALink(t *testing.T) {
	outside := t.TempDir()
	dst := filepath.Join(t.TempDir(), "tree")
	tr := tarOf(t,
		&tar.Header{Name: "opt/", Typeflag: tar.TypeDir, Mode: 0o755},
		&tar.Header{Name: "opt/tool/", Typeflag: tar.TypeDir, Mode: 0o750},
		&tar.Header{Name: "opt/tool/bin", Typeflag: tar.TypeReg, Mode: 0o755},
		&tar.Header{Name: "opt/tool/esc", Typeflag: tar.TypeSymlink, Linkname: outside},
		&tar.Header{Name: "opt/tool/esc/pwned", Typeflag: tar.TypeReg, Mode: 0o644},
		&tar.Header{Name: "opt/tool/hard", Typeflag: tar.TypeLink, Linkname: "opt/tool/bin"},
		&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644},
	)
	if err := extract(tr, "/opt/tool", dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "bin")); err != nil || string(b) != "opt/tool/bin" {
		t.Errorf("bin: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "hard")); err != nil || string(b) != "opt/tool/bin" {
		t.Errorf("hard link: %q, %v", b, err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("the subtree's root: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "pwned")); !os.IsNotExist(err) {
		t.Errorf("a file was written through a link out of the tree: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "passwd")); !os.IsNotExist(err) {
		t.Errorf("a file outside the source was extracted: %v", err)
	}
	if err := extract(tarOf(t), "/missing", filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("a missing source extracted without an error")
	}
}
