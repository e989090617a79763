package buildinput

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSelectHashFollowsOnlyTheSelectedFilesAfterDockerignore(t *testing.T) {
	ctx := t.TempDir()
	write(t, filepath.Join(ctx, ".dockerignore"), "app/ignored.txt\n")
	write(t, filepath.Join(ctx, "app/a.txt"), "a")
	write(t, filepath.Join(ctx, "app/x.log"), "log")
	write(t, filepath.Join(ctx, "app/ignored.txt"), "i")
	write(t, filepath.Join(ctx, "pkg.tgz"), "\x1f\x8b\x08more")
	hash := SelectHash(ctx, filepath.Join(ctx, "Dockerfile"))
	digest := func() string {
		t.Helper()
		d, err := hash([]string{"app"}, false, []string{"*.log"}, false)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d0 := digest()
	write(t, filepath.Join(ctx, "app/x.log"), "changed")
	write(t, filepath.Join(ctx, "app/ignored.txt"), "changed")
	if digest() != d0 {
		t.Error("an excluded or ignored file changed the digest")
	}
	write(t, filepath.Join(ctx, "app/a.txt"), "changed")
	if digest() == d0 {
		t.Error("a selected file's change left the digest as it was")
	}
	if _, err := hash([]string{"app/ignored.txt"}, false, []string{"x"}, false); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("an ignored source: %v, want not found", err)
	}
	if _, err := hash([]string{"pkg.tgz"}, false, []string{"x"}, true); err == nil || !strings.Contains(err.Error(), "archive") {
		t.Errorf("ADD --exclude of an archive: %v, want a refusal", err)
	}
}
