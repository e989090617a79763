package buildinput

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTheDockerfilesOwnIgnoreFileWinsOverTheContexts(t *testing.T) {
	ctx := t.TempDir()
	write(t, filepath.Join(ctx, ".dockerignore"), "*.log\n")
	df := filepath.Join(ctx, "build", "app.Dockerfile")
	write(t, df, "FROM x\n")
	ig, err := ContextIgnore(ctx, df)
	if err != nil || ig == nil || !ig.Skips("a.log", false) {
		t.Fatalf("context .dockerignore: %+v, %v", ig, err)
	}
	write(t, df+".dockerignore", "secret/\n")
	if ig, err = ContextIgnore(ctx, df); err != nil || ig.File != df+".dockerignore" || ig.Skips("a.log", false) || !ig.Skips("secret/x", false) {
		t.Errorf("Dockerfile-specific ignore file not preferred: %+v, %v", ig, err)
	}
	if ig, err := ContextIgnore(t.TempDir(), df+"-none"); ig != nil || err != nil || ig.Skips("x", false) {
		t.Errorf("no ignore file: %+v, %v", ig, err)
	}
}

func TestIgnoredFilesAreLeftOutOfABindsDigest(t *testing.T) {
	ctx := t.TempDir()
	write(t, filepath.Join(ctx, ".dockerignore"), "src/**/*.o\nsrc/.env\nnode_modules\n!node_modules/keep.txt\n")
	write(t, filepath.Join(ctx, "src", "main.c"), "int main;")
	write(t, filepath.Join(ctx, "src", "obj", "main.o"), "object")
	write(t, filepath.Join(ctx, "src", ".env"), "TOKEN=x")
	write(t, filepath.Join(ctx, "node_modules", "dep.js"), "dep")
	ig, err := ContextIgnore(ctx, filepath.Join(ctx, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	hash := ContextHash(ctx, filepath.Join(ctx, "Dockerfile"))
	before, err := hash("src")
	if err != nil {
		t.Fatal(err)
	}
	whole, _ := hash("")
	write(t, filepath.Join(ctx, "src", "obj", "main.o"), "rebuilt object")
	write(t, filepath.Join(ctx, "src", ".env"), "TOKEN=y")
	write(t, filepath.Join(ctx, "node_modules", "dep.js"), "dep 2")
	if after, _ := hash("src"); after != before {
		t.Error("editing an ignored file changed the digest of its directory")
	}
	if after, _ := hash(""); after != whole {
		t.Error("editing ignored files changed the digest of the context")
	}
	write(t, filepath.Join(ctx, "node_modules", "keep.txt"), "kept")
	if after, _ := hash(""); after == whole {
		t.Error("a file brought back by ! does not count")
	}
	write(t, filepath.Join(ctx, "src", "main.c"), "int main(void);")
	if after, _ := hash("src"); after == before {
		t.Error("editing a bound file did not change the digest")
	}
	if _, err := hash("src/.env"); err == nil || !strings.Contains(err.Error(), "left out of the build context by") {
		t.Errorf("binding an ignored file: %v", err)
	}
	// With a ! pattern a directory is judged entry by entry.
	if ig.Skips("node_modules", true) || !ig.Skips("node_modules/dep.js", false) || ig.Skips("node_modules/keep.txt", false) {
		t.Error("node_modules is not judged entry by entry")
	}
}
