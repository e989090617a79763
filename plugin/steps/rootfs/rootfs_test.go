package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Mount targets, sources and COPY destinations are user paths resolved
// inside a root that holds hostile symlinks: whatever the path, the
// result must stay inside the root.
func FuzzWalkStaysInsideTheRoot(f *testing.F) {
	root := f.TempDir()
	for link, to := range map[string]string{"abs": "/", "up": "../..", "loop": "loop", "deep": "/d/../../abs/up", "d": "."} {
		if err := os.Symlink(to, filepath.Join(root, link)); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "dir"), 0o755); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"/", "abs/etc", "up/up/tmp", "deep/x", "loop/x", "dir/../../..", "d/d/abs", "//dir/./"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := Walk(root, p, nil)
		if err == nil && got != root && !strings.HasPrefix(got, root+"/") {
			t.Errorf("Walk(%q) = %s, outside %s", p, got, root)
		}
	})
}
