package runtime

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// bkMore is more of what real projects' Dockerfiles do: archives ADD
// unpacks or not, copies onto existing files and directories, variable
// defaults in paths, a stage's symlinks and hard links, empty directories
// and odd names in the context.
const bkMore = `ARG BASE
FROM ${BASE} AS build
RUN mkdir -p /out/dir && echo a > /out/a && ln /out/a /out/hard && ln -s a /out/link && ln -s dir /out/dirlink && echo d > /out/dir/f
FROM ${BASE}
ARG SUB
ADD app.tar.gz /unpacked/
ADD notes.gz /gz/
COPY ${SUB:-default}/ /defaulted/
COPY ${SUB:+alt}x.txt /plus.txt
RUN mkdir -p /existing && echo old > /existing/file && chmod 0700 /existing
COPY file.txt /existing/file
COPY file.txt /existing
COPY empty/ /empty/
COPY ["with space.txt", "/names/"]
COPY ünï.txt /names/
COPY --from=build /out/ /from/
COPY --from=build /out/link /single-link
COPY --chmod=0750 dir/ /chmodded/
WORKDIR /w
COPY file.txt .
COPY file.txt rel/
`

func moreCases() []bkCase {
	return []bkCase{{
		name: "more", dockerfile: bkMore, current: true,
		differ: map[string]string{
			"from/hard":   "a hard link in the stage: BuildKit's copy keeps it a link to from/a, kaniko copies a second file with the same content",
			"single-link": "a source that is a symlink: BuildKit copies what it points to, kaniko copies the symlink (pkg/commands/copy.go: CopySymlink), here left dangling",
		},
		files: map[string]string{
			"default/d.txt": "d\n", "x.txt": "x\n", "file.txt": "new\n",
			"with space.txt": "s\n", "ünï.txt": "u\n", "dir/sub/f": "f\n", "dir/g": "g\n",
		},
		prepare: func(t *testing.T, ws string) {
			writeTar(t, filepath.Join(ws, "app.tar.gz"), true, "0123456789",
				tar.Header{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755},
				tar.Header{Name: "app/bin", Typeflag: tar.TypeReg, Mode: 0o755, Size: 10})
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			_, _ = zw.Write([]byte("not a tar\n"))
			_ = zw.Close()
			if err := os.WriteFile(filepath.Join(ws, "notes.gz"), gz.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(ws, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
		},
	}}
}
