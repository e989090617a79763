package copykey

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainguard-dev/kaniko/pkg/config"
)

// gz is data gzipped.
func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestArchivesAreTarsAsBuildKitReadsThemNotAnyCompressedFile(t *testing.T) {
	ctx := keyContext(t) // archive.tar.gz: a gzipped tar
	for name, data := range map[string][]byte{"notes.gz": gz(t, []byte("not a tar\n")), "plain.txt": []byte("text"), "empty": nil} {
		if err := os.WriteFile(filepath.Join(ctx, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]bool{"archive.tar.gz": true, "notes.gz": false, "plain.txt": false, "empty": false, "missing": false} {
		if got := isArchive(filepath.Join(ctx, name)); got != want {
			t.Errorf("isArchive(%s) = %v, want %v", name, got, want)
		}
	}
	if !misread(ctx, "notes.gz") || misread(ctx, "archive.tar.gz") || misread(ctx, "plain.txt") {
		t.Error("misread: kaniko takes notes.gz, and only it, for an archive BuildKit copies")
	}
}

func TestAddsGivesKanikoTheAddOfACompressedNonTarAsACopy(t *testing.T) {
	ctx := keyContext(t)
	if err := os.WriteFile(filepath.Join(ctx, "notes.gz"), gz(t, []byte("not a tar\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "FROM busybox\nADD --chown=0:0 notes.gz /gz/\nADD archive.tar.gz /unpacked/\nADD one.txt /one.txt\nadd notes.gz archive.tar.gz /both/\nCOPY notes.gz /copied/\n"
	df := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(df, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := Adds([]byte(src), &config.KanikoOptions{DockerfilePath: df, SrcContext: ctx})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(keys.Dockerfile), "\n")
	want := []string{
		"FROM busybox",
		"COPY" + Flag + "kaniko-ecr-add --chown=0:0 notes.gz /gz/", // kaniko would fail to unpack it
		"ADD archive.tar.gz /unpacked/",                            // a real archive: unpacked
		"ADD one.txt /one.txt",                                     // kaniko copies it anyway
		"add notes.gz archive.tar.gz /both/",                       // with a real archive: ADD's
		"COPY notes.gz /copied/",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], w)
		}
	}
	if keys.Restore["COPY"+Flag+"kaniko-ecr-add"] != "ADD" || len(keys.Restore) != 1 {
		t.Errorf("restore %q", keys.Restore)
	}
}

func TestKeyGivesTheAddOfACompressedNonTarAsAKeyedCopy(t *testing.T) {
	ctx := keyContext(t)
	if err := os.WriteFile(filepath.Join(ctx, "notes.gz"), gz(t, []byte("not a tar\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM busybox\nADD notes.gz /gz/\nADD archive.tar.gz /unpacked/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := keyedLines(t, ctx)
	if !strings.HasPrefix(lines[1], "COPY"+Flag+"kaniko-ecr-key-") || !strings.HasSuffix(lines[1], " notes.gz /gz/") || lines[2] != "ADD archive.tar.gz /unpacked/" {
		t.Errorf("lines %q", lines)
	}
}
