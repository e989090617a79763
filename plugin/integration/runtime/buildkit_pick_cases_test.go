package runtime

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// bkParents is COPY --parents as BuildKit's own tests use it, from the
// context and from a stage: with and without the /./ pivot, with
// wildcards before and after it, and ** .
const bkParents = `ARG BASE
FROM ${BASE} AS gen
RUN mkdir -p /test/a/b/c/d/e /test/a/b2/c/d/e /test/a/b/c2/d/e /test/a/b/c2/d/e2 && touch /test/a/b/c/d/foo /test/a/b/c/d/e/bay /test/a/b2/c/d/e/bar /test/a/b/c2/d/e/baz /test/a/b/c2/d/e2/baz && chmod 700 /test/a/b2 && chmod 640 /test/a/b/c/d/foo && chown 5:6 /test/a/b/c/d/e/bay
FROM ${BASE}
COPY --parents foo1/foo2/bar /
WORKDIR /test
COPY --parents foo1/foo2/ba* .
COPY --parents x/./y/z x/./y/w* /pivot/
COPY --parents --chown=7:8 x/y /owned/
COPY --from=gen --parents /test/a/b/./c/d /out1/
COPY --from=gen --parents /test/a/./*/c /out2/
COPY --from=gen --parents /test/a/b*/./c/**/e /out3/
COPY --from=gen --parents /test/a/b/c*/./d/**/baz /test/a/b*/./c/**/bar /out4/
COPY --from=gen --parents /test/a/b/c/d/. /out5/
COPY --from=gen --parents /test/a/b2*/nothing /test/a/b/./c9* /out6/
`

// bkExclude is COPY and ADD --exclude as BuildKit's own test uses them,
// with ** and ! patterns, --chmod, a file source, a linked directory,
// directories merged into the image's (whose modes they take), and a
// stage.
const bkExclude = `ARG BASE
FROM ${BASE} AS base
RUN mkdir -p /src/dir1/deep /src/dir2 && echo 1 > /src/dir1/a.txt && echo 2 > /src/dir1/b.md && echo 3 > /src/dir2/c.md && echo 4 > /src/dir1/deep/d.md && ln -s a.txt /src/dir1/link.txt && chmod 711 /src/dir1/deep
FROM ${BASE}
COPY --exclude=*/*.png --exclude=*/*.jpeg . /1
COPY --exclude=*.mp3 dir3/ /3/
COPY --exclude=*.mp3 --exclude=*.jpeg --exclude=*.png --exclude=*.pdf --exclude=*.txt dir* /4/
ADD --exclude=*.mp* --exclude=*.jpeg --exclude=*.png --exclude=*.pdf dir* /5
ADD --exclude=* dir* /6
COPY --exclude=**/*.txt --exclude=!dir4/file-401.txt --exclude=dir2 . /7/
COPY --exclude=dir* --exclude=!dir1/file-102.txt . /8/
COPY --exclude=*.txt dir4/file-401.txt /9/
COPY --chmod=750 --exclude=*.png dir1 /10/
COPY --from=base --exclude=**/*.md --exclude=!dir2/c.md /src /11/
COPY --from=base --exclude=deep /src/dir* /12/
COPY --exclude=*.png over/ /
COPY --exclude=*.png linkdir /13/
COPY --exclude=*.png dir1/file-102.txt /14
`

// bkIgnoreExceptions is a .dockerignore whose exceptions bring back one
// file of a directory it leaves out and nothing of another: the context
// holds the first only as that file's parent and the second not at all,
// for a plain COPY, a COPY the pick step makes, and a bind mount.
const bkIgnoreExceptions = `ARG BASE
FROM ${BASE}
COPY . /plain/
COPY --exclude=*.tmp . /picked/
RUN --mount=type=bind,target=/ctx cd /ctx && find . | sort > /bound.txt
`

// bkSymbolicChmod is --chmod in chmod(1)'s symbolic form, which kaniko
// refuses: applied to each entry's own mode, with X for directories and
// executables, from the context, a stage and a single file.
const bkSymbolicChmod = `ARG BASE
FROM ${BASE} AS gen
RUN mkdir -p /out/bin && echo tool > /out/bin/tool && chmod 750 /out/bin/tool && echo doc > /out/readme && chmod 600 /out/readme
FROM ${BASE}
COPY --chmod=a+rX,u-w app /app/
COPY --chmod=go-w app/run.sh /bin/
ADD --chmod=u=rwx,g=rx,o= app/conf /etc/conf/
COPY --from=gen --chmod=o+r /out /opt/
COPY --chmod=g=u app /g/
`

// bkUnpack is ADD --unpack of a local archive: false copies it as a file,
// true (and no flag) unpacks it.
const bkUnpack = `ARG BASE
FROM ${BASE}
ADD --unpack=false app.tgz /keep/
ADD --unpack=false --chmod=640 app.tgz /keep/named.tgz
ADD --unpack=true app.tgz /open/
ADD app.tgz /default/
ADD --unpack=false notes.txt /p/
`

// writeTarGz writes a gzipped tar of a directory, a script and a file.
func writeTarGz(t *testing.T, path string) {
	t.Helper()
	writeTar(t, path, true, "0123456789",
		tar.Header{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o750},
		tar.Header{Name: "app/run.sh", Typeflag: tar.TypeReg, Mode: 0o755, Size: 10},
		tar.Header{Name: "app/data.txt", Typeflag: tar.TypeReg, Mode: 0o600, Size: 10, Uid: 7, Gid: 8})
}

// writeTar writes a tar (gzipped with gz) of the entries, each file
// holding body.
func writeTar(t *testing.T, path string, gz bool, body string, hs ...tar.Header) {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	zw := gzip.NewWriter(&buf)
	if gz {
		w = zw
	}
	tw := tar.NewWriter(w)
	for _, h := range hs {
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			_, _ = tw.Write([]byte(body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if gz {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// pickCases compare COPY --parents and COPY or ADD --exclude with
// buildkitd at go.mod's version: the engine's BuildKit ignores exclude
// patterns and required paths.
func pickCases() []bkCase {
	return []bkCase{
		{
			name: "unpack", dockerfile: bkUnpack, current: true,
			files:   map[string]string{"notes.txt": "notes"},
			prepare: func(t *testing.T, ws string) { writeTarGz(t, filepath.Join(ws, "app.tgz")) },
			differ: map[string]string{
				"open":    "kaniko unpacks a local archive itself and creates a missing destination with the mode of the archive's first directory; BuildKit with 0755",
				"default": "the same, without the flag",
			},
		},
		{
			name: "chmod-symbolic", dockerfile: bkSymbolicChmod, current: true,
			files: map[string]string{"app/run.sh": "#!/bin/sh\n", "app/conf/a.conf": "a", "app/data/x": "x", "app/secret": "s"},
			prepare: func(t *testing.T, ws string) {
				for p, mode := range map[string]os.FileMode{"app/run.sh": 0o775, "app/conf": 0o700, "app/conf/a.conf": 0o640, "app/data": 0o750, "app/secret": 0o600} {
					if err := os.Chmod(filepath.Join(ws, p), mode); err != nil {
						t.Fatal(err)
					}
				}
			},
		},
		{
			name: "dockerignore-exceptions", dockerfile: bkIgnoreExceptions, current: true,
			files: map[string]string{
				".dockerignore": "docs\n!docs/keep.md\ncache\n!cache/none\n",
				"docs/a.md":     "a", "docs/keep.md": "k", "cache/x": "x", "cache/sub/y": "y", "src/main.go": "m", "x.tmp": "t",
			},
		},
		{
			name: "parents", dockerfile: bkParents, current: true,
			files: map[string]string{"foo1/foo2/bar": "testing", "foo1/foo2/baz": "testing2", "x/y/z": "z", "x/y/w1": "w1", "x/y/w2/v": "v", "x/y/u": "u"},
			prepare: func(t *testing.T, ws string) {
				for p, mode := range map[string]os.FileMode{"foo1": 0o700, "foo1/foo2/baz": 0o600, "x/y": 0o750} {
					if err := os.Chmod(filepath.Join(ws, p), mode); err != nil {
						t.Fatal(err)
					}
				}
			},
		},
		{
			name: "exclude", dockerfile: bkExclude, current: true,
			files: map[string]string{
				".dockerignore":     "dir3/ignored.mp3\n",
				"dir1/file-101.png": "2", "dir1/file-102.txt": "3", "dir1/file-103.jpeg": "4",
				"dir2/file-201.pdf": "6", "dir2/file-202.jpeg": "7", "dir2/file-203.png": "8",
				"dir3/file-301.mp3": "9", "dir3/file-302.mpeg": "10", "dir3/ignored.mp3": "x",
				"dir4/file-401.txt": "11", "over/tmp/x": "x", "over/tmp/y.png": "y", "over/etc/new.conf": "conf",
			},
			prepare: func(t *testing.T, ws string) {
				for link, target := range map[string]string{"dir4/file-402.txt": "file-401.txt", "dir4/file-403.txt": "file-404.txt", "linkdir": "dir1"} {
					if err := os.Symlink(target, filepath.Join(ws, link)); err != nil {
						t.Fatal(err)
					}
				}
				for p, mode := range map[string]os.FileMode{"dir1": 0o700, "dir1/file-101.png": 0o600, "dir4/file-401.txt": 0o755, "over/tmp": 0o755, "over/etc": 0o750} {
					if err := os.Chmod(filepath.Join(ws, p), mode); err != nil {
						t.Fatal(err)
					}
				}
			},
		},
	}
}
