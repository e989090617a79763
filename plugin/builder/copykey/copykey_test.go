package copykey

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
)

const keyedDockerfile = `ARG BASE=busybox
FROM ${BASE} AS build
ARG DEST=/opt
COPY one.txt /one.txt
COPY dir /dir
COPY *.md /docs/
COPY one.txt ${DEST}/
RUN cp -r /dir /out
FROM ${BASE}
COPY --from=build /out /app
COPY --from=example.com/tools:1 /bin/tool /bin/tool
COPY --from=example.com/tools@sha256:0123456789012345678901234567890123456789012345678901234567890123 /bin/tool /bin/pinned
ADD one.txt /added.txt
ADD archive.tar.gz /unpacked/
ADD https://example.com/f /f
LABEL version=1
`

// keyedLines runs Key on keyedDockerfile in ctx and returns each
// line kaniko would read.
func keyedLines(t *testing.T, ctx string, args ...string) []string {
	t.Helper()
	text := keyedDockerfile
	if b, err := os.ReadFile(filepath.Join(ctx, "Dockerfile")); err == nil {
		text = string(b)
	}
	df := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(df, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := Key([]byte(text), &config.KanikoOptions{DockerfilePath: df, SrcContext: ctx, BuildArgs: args})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(keys.Dockerfile), "\n")
}

func keyContext(t *testing.T) string {
	t.Helper()
	ctx := t.TempDir()
	var tgz bytes.Buffer
	zw := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(zw)
	_ = tw.WriteHeader(&tar.Header{Name: "in.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("in"))
	_ = tw.Close()
	_ = zw.Close()
	for name, body := range map[string]string{"archive.tar.gz": tgz.String(), "one.txt": "1", "dir/a.txt": "a", "dir/sub/b.txt": "b", "README.md": "r", "ignored/x": "x", ".dockerignore": "dir/secret.txt\n"} {
		p := filepath.Join(ctx, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ctx
}

func TestCopyKeysHoldWhatKanikosKeyLacks(t *testing.T) {
	const (
		plain, dir, wildcard, varDest, fromStage, fromTag, fromPinned = 3, 4, 5, 6, 9, 10, 11
		localAdd, archiveAdd, urlAdd                                  = 12, 13, 14
	)
	ctx := keyContext(t)
	before := keyedLines(t, ctx, "DEST=/opt")
	again := keyedLines(t, ctx, "DEST=/opt")
	for i, want := range strings.Split(keyedDockerfile, "\n") {
		switch i {
		case localAdd:
			if !strings.HasPrefix(before[i], "COPY"+Flag+"kaniko-ecr-key-") || !strings.HasSuffix(before[i], " one.txt /added.txt") {
				t.Errorf("line %d: %q, want a keyed COPY", i+1, before[i])
			}
		case plain, fromPinned, archiveAdd, urlAdd:
			if before[i] != want {
				t.Errorf("line %d: kaniko's key is whole, yet it became %q", i+1, before[i])
			}
		case dir, wildcard, varDest, fromStage:
			if !strings.Contains(before[i], Flag+"kaniko-ecr-key-") || before[i] != again[i] {
				t.Errorf("line %d: %q then %q, want one stable key", i+1, before[i], again[i])
			}
		case fromTag:
			if !strings.Contains(before[i], Flag+"kaniko-ecr-nocache-") || before[i] == again[i] {
				t.Errorf("line %d: %q then %q, want a new token every build", i+1, before[i], again[i])
			}
		}
	}

	changes := []struct {
		name    string
		change  func(t *testing.T, ctx string) []string // the build args after the change
		changed []int                                   // the lines whose key changes
	}{
		{"mtimes only", func(t *testing.T, ctx string) []string {
			later := time.Now().Add(time.Hour)
			for _, f := range []string{"one.txt", "dir/a.txt", "README.md"} {
				_ = os.Chtimes(filepath.Join(ctx, f), later, later)
			}
			return []string{"DEST=/opt"}
		}, nil},
		{"a file renamed in a copied directory", func(t *testing.T, ctx string) []string {
			_ = os.Rename(filepath.Join(ctx, "dir/a.txt"), filepath.Join(ctx, "dir/c.txt"))
			return []string{"DEST=/opt"}
		}, []int{dir, fromStage}},
		{"a file a wildcard matches renamed", func(t *testing.T, ctx string) []string {
			_ = os.Rename(filepath.Join(ctx, "README.md"), filepath.Join(ctx, "NOTES.md"))
			return []string{"DEST=/opt"}
		}, []int{wildcard, fromStage}},
		{"an ignored file added", func(t *testing.T, ctx string) []string {
			_ = os.WriteFile(filepath.Join(ctx, "dir/secret.txt"), []byte("s"), 0o644)
			return []string{"DEST=/opt"}
		}, nil},
		{"a declared arg the destination uses", func(t *testing.T, ctx string) []string { return []string{"DEST=/srv"} }, []int{varDest, fromStage}},
		{"a label after the stages", func(t *testing.T, ctx string) []string {
			_ = os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(strings.Replace(keyedDockerfile, "version=1", "version=2", 1)), 0o644)
			return []string{"DEST=/opt"}
		}, nil},
		{"a line of the stage copied from", func(t *testing.T, ctx string) []string {
			_ = os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(strings.Replace(keyedDockerfile, "cp -r /dir /out", "cp -r /dir /out && touch /out/x", 1)), 0o644)
			return []string{"DEST=/opt"}
		}, []int{fromStage}},
		{"an undeclared build arg", func(t *testing.T, ctx string) []string { return []string{"DEST=/opt", "OTHER=1"} }, nil},
		{"a file's content (kaniko's key has it; stages downstream need it)", func(t *testing.T, ctx string) []string {
			_ = os.WriteFile(filepath.Join(ctx, "one.txt"), []byte("2"), 0o644)
			return []string{"DEST=/opt"}
		}, []int{fromStage}},
	}
	for _, tc := range changes {
		t.Run(tc.name, func(t *testing.T) {
			ctx := keyContext(t)
			base := keyedLines(t, ctx, "DEST=/opt")
			after := keyedLines(t, ctx, tc.change(t, ctx)...)
			for _, i := range []int{plain, dir, wildcard, varDest, fromStage} {
				if changed := base[i] != after[i]; changed != contains(tc.changed, i) {
					t.Errorf("line %d: key changed %v, want %v\n%s\n%s", i+1, changed, !changed, base[i], after[i])
				}
			}
		})
	}
}

func contains(list []int, i int) bool {
	for _, x := range list {
		if x == i {
			return true
		}
	}
	return false
}
