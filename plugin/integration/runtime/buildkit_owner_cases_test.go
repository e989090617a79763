package runtime

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
)

// bkContextOwners copies and adds files of a checkout that belongs to the
// CI's user (1000:2000, see ownerCases): BuildKit's client sends the
// context as 0:0, so every file and directory lands owned by root, but
// the entries of a local archive ADD unpacks, which keep the archive's
// owners, and an explicit --chown.
const bkContextOwners = `ARG BASE
FROM ${BASE}
RUN mkdir -p /home/app && chown 1000:1000 /home/app && chmod 0750 /home/app
COPY ctx/ /ctx/
COPY ctx/sub \
     ctx/file.txt /multi/
copy ctx/file.txt /lower.txt
COPY --link --chmod=0640 ctx/file.txt /linked.txt
ADD ctx/file.txt /added/
ADD owned.tar /unpacked/
COPY --chown=5:6 ctx/file.txt /explicit.txt
COPY ctx/sub/ /home/app/
`

// bkNewerMounts uses what the engine's BuildKit cannot run: a secret as
// an environment variable (its length and a digest land in the image, not
// the value) and a tmpfs size, which kaniko-ecr does not enforce (the
// RUN stays under it).
const bkNewerMounts = `ARG BASE
FROM ${BASE}
RUN --mount=type=secret,id=tok,env=TOKEN sh -c 'printf %s "$TOKEN" | sha256sum | cut -d" " -f1 > /env.sha; printf %s "$TOKEN" | wc -c > /env.len'
RUN --mount=type=secret,id=tok,env=TOKEN,target=/run/t sh -c 'test -n "$TOKEN" && cmp -s /run/t /run/t && echo both > /both.txt'
RUN --mount=type=secret,id=absent,env=NONE sh -c 'echo "${NONE-unset}" > /absent.txt'
RUN --mount=type=tmpfs,target=/scratch,size=1m sh -c 'echo small > /scratch/f && cat /scratch/f > /tmpfs.txt'
RUN env | grep -c TOKEN > /after.count || true
`

// ownerCases compare what the build context's owners become, and the
// mounts only newer BuildKit runs, with buildkitd at go.mod's version.
func ownerCases() []bkCase {
	return []bkCase{{
		name: "newer-mounts", dockerfile: bkNewerMounts, current: true,
		secrets: map[string]string{"tok": "ENVSECRET-3c9d1e"},
	}, {
		name: "context-owners", dockerfile: bkContextOwners, current: true,
		differ: map[string]string{"home/app": "kaniko's COPY of a directory gives an existing destination directory the source directory's mode and owner (pkg/util/fs_util.go: CopyDir walks the source's root too); BuildKit leaves it as it was"},
		files:  map[string]string{"ctx/file.txt": "file\n", "ctx/sub/x": "x\n", "ctx/sub/deeper/y": "y\n"},
		prepare: func(t *testing.T, ws string) {
			writeOwnedTar(t, filepath.Join(ws, "owned.tar"))
			for _, p := range []string{"ctx", "ctx/file.txt", "ctx/sub", "ctx/sub/x", "ctx/sub/deeper", "ctx/sub/deeper/y", "owned.tar"} {
				if err := os.Lchown(filepath.Join(ws, p), 1000, 2000); err != nil {
					t.Skipf("this test chowns context files (run as root): %v", err)
				}
			}
		},
	}}
}

// writeOwnedTar writes a tar whose entries belong to 1234:5678.
func writeOwnedTar(t *testing.T, path string) {
	t.Helper()
	writeTar(t, path, false, "f\n",
		tar.Header{Name: "t/", Typeflag: tar.TypeDir, Mode: 0o755, Uid: 1234, Gid: 5678},
		tar.Header{Name: "t/f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2, Uid: 1234, Gid: 5678})
}
