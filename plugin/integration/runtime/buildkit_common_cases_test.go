package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

// bkCommon is what Dockerfiles of real projects do besides BuildKit's own
// syntax: a non-root USER and its WORKDIR, names from the base's passwd,
// wildcards, symlinks and special modes in the context, VOLUME.
const bkCommon = `ARG BASE
FROM ${BASE}
ENV APP=/srv/app
USER nobody
WORKDIR /home/nobody/work
USER root
WORKDIR $APP
COPY --chown=nobody:nogroup conf/ ./conf/
COPY bin/* /usr/local/bin/
COPY links/ /links/
COPY modes/ /modes/
ARG NAME=greeting
COPY ${NAME}.txt ./
COPY *.md /docs/
RUN mkdir /data
VOLUME /data /declared
RUN echo after-volume > /data/file && mkdir -p /data/sub
USER 1234:5678
RUN touch /tmp/by-user && mkdir /tmp/dir-by-user
USER root
WORKDIR rel/dir
RUN pwd > /pwd.txt
`

func commonCases() []bkCase {
	return []bkCase{{
		name: "common", dockerfile: bkCommon, current: true,
		volumes: []string{"/data", "/declared"},
		differ: map[string]string{
			"home":            "WORKDIR under USER nobody: BuildKit gives the directories it creates to that user; kaniko gives it the last one only (pkg/commands/workdir.go: mkdirAllWithPermissions chowns the leaf)",
			"home/nobody":     "the same",
			"tmp/by-user":     "USER 1234:5678: kaniko runs RUN with the user part only (pkg/commands/run.go splits off the group), so the process's group is 1234, not 5678",
			"tmp/dir-by-user": "the same",
		},
		files: map[string]string{
			"conf/a.yaml": "a: 1\n", "conf/sub/b.yaml": "b: 2\n",
			"bin/tool": "#!/bin/sh\necho tool\n", "bin/other": "#!/bin/sh\n",
			"links/target.txt": "t\n",
			"modes/setuid":     "s\n", "modes/sticky/x": "x\n", "modes/private": "p\n",
			"greeting.txt": "hi\n", "README.md": "# r\n", "CHANGES.md": "# c\n",
		},
		prepare: func(t *testing.T, ws string) {
			for p, m := range map[string]os.FileMode{"bin/tool": 0o755, "modes/setuid": 0o4755 | os.ModeSetuid, "modes/sticky": 0o1777 | os.ModeSticky, "modes/private": 0o600} {
				if err := os.Chmod(filepath.Join(ws, p), m); err != nil {
					t.Fatal(err)
				}
			}
			for link, to := range map[string]string{"links/rel": "target.txt", "links/abs": "/etc/passwd", "links/dangling": "nowhere", "links/dir": "."} {
				if err := os.Symlink(to, filepath.Join(ws, link)); err != nil {
					t.Fatal(err)
				}
			}
		},
	}}
}
