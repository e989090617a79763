package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// The Dockerfiles both builders build. Each RUN writes what it saw into
// the image, so that what the step saw is compared too, not only what it
// left.

const bkHeredocs = `ARG BASE
FROM ${BASE}
ARG NAME=world
ENV GREETING=hello
RUN <<EOF
echo "$GREETING $NAME" > /a.txt
echo "$0" > /a0.txt
EOF
RUN <<EOF
#!/bin/sh
echo "shebang $0 $#" > /b.txt
EOF
RUN cat > /c.txt <<EOF
stdin $GREETING $NAME
EOF
RUN <<FILE1 cat > /d1.txt && <<FILE2 cat > /d2.txt
one $NAME
FILE1
two
FILE2
RUN <<-EOF
	echo tabs > /e.txt
		echo nested >> /e.txt
	EOF
RUN cat > /e2.txt <<-EOF
	stripped
		once
	EOF
RUN <<'EOF'
echo "$GREETING" > /quoted-run.txt
EOF
COPY <<EOF /etc/app.conf
name=$NAME greeting=$GREETING
EOF
COPY <<"EOF" /etc/literal.conf
name=$NAME
EOF
COPY --chmod=0755 <<EOF /usr/local/bin/hello
#!/bin/sh
echo hi
EOF
COPY --chown=1000:2000 --chmod=0640 <<EOF /etc/owned.conf
owned
EOF
COPY --chown=nobody <<EOF /etc/nobody.conf
nobody
EOF
COPY <<a <<b /dir/
A
a
B
b
COPY <<-EOF /etc/tabs.conf
	stripped $NAME
		one tab left
	EOF
COPY <<conf.txt /confdir/
in a directory
conf.txt
WORKDIR /work
COPY <<EOF rel.txt
relative to $NAME
EOF
SHELL ["/bin/sh", "-c", "echo custom > /shell.txt; eval \"$1\"", "shell"]
RUN <<EOF
echo "$0" > /f.txt
EOF
`

const bkSecrets = `ARG BASE
FROM ${BASE}
RUN --mount=type=secret,id=tok sh -c 'sha256sum /run/secrets/tok | cut -d" " -f1 > /tok.sha; stat -c "%a %u %g" /run/secrets/tok > /tok.stat'
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc sh -c 'wc -c < /root/.npmrc > /npmrc.len; stat -c "%a %u %g" /root/.npmrc > /npmrc.stat'
RUN --mount=type=secret,id=tok,target=/etc/tok,mode=0440,uid=1000,gid=2000 stat -c "%a %u %g" /etc/tok > /tok2.stat
RUN --mount=type=secret,id=notgiven sh -c 'test -e /run/secrets/notgiven && echo present > /notgiven.txt || echo missing > /notgiven.txt'
RUN test ! -s /run/secrets/tok && test ! -s /root/.npmrc && echo empty-after > /after.txt
`

const bkMounts = `ARG BASE
FROM ${BASE}
RUN mkdir -p /var/cache/app && echo base > /var/cache/app/base.txt
RUN --mount=type=cache,target=/var/cache/app sh -c 'echo run >> /var/cache/app/log; wc -l < /var/cache/app/log > /first.count; ls -A /var/cache/app > /first.ls; stat -c "%a %u %g" /var/cache/app > /cache.stat'
RUN --mount=type=cache,target=/var/cache/app sh -c 'echo run >> /var/cache/app/log; wc -l < /var/cache/app/log > /second.count'
RUN --mount=type=cache,target=/other,id=/var/cache/app ls -A /other > /byid.ls
RUN --mount=type=cache,target=/owned,uid=1000,gid=2000,mode=0700 stat -c "%a %u %g" /owned > /owned.stat
RUN --mount=type=bind,source=src,target=/src sh -c 'cat /src/app.txt > /bound.txt; ls -A /src > /bound.ls; stat -c "%a %u %g" /src/app.txt > /bound.stat'
RUN --mount=type=bind,source=src,target=/src cp -a /src /copied
COPY src/owned.txt /copy-owned.txt
RUN --mount=type=bind,source=src,target=/src stat -c "%n %a %u %g" /src/owned.txt /src/sub > /owners.stat
RUN --mount=type=bind,source=src/app.txt,target=/etc/app.txt cat /etc/app.txt > /bound-file.txt
RUN --mount=type=bind,target=/ctx ls -A /ctx > /ctx.ls
RUN --mount=type=bind,source=src,target=/src,rw sh -c 'echo changed > /src/app.txt; cat /src/app.txt > /rw.txt'
RUN cat /src/app.txt > /after-rw.txt 2>/dev/null || echo gone > /after-rw.txt
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo x > /scratch/f; ls -A /scratch > /tmpfs.ls'
RUN --mount=type=tmpfs,target=/var/cache/app ls -A /var/cache/app > /tmpfs-hides.ls
RUN --mount=type=ssh sh -c 'echo "$SSH_AUTH_SOCK" > /ssh.env; test -S "$SSH_AUTH_SOCK" && echo socket > /ssh.txt'
RUN --mount=type=ssh,target=/tmp/agent.sock sh -c 'echo "$SSH_AUTH_SOCK" > /ssh2.env; test -S /tmp/agent.sock && echo socket > /ssh2.txt'
`

// bkScratch: heredoc files in a stage without a shell, and copied from one.
const bkScratch = `ARG BASE
FROM ${BASE} AS build
RUN <<EOF
mkdir -p /out
echo built > /out/built.txt
EOF
FROM scratch
COPY --chmod=0600 <<EOF /only.txt
only
EOF
COPY --chown=10:20 <<one <<two /etc/
1
one
2
two
COPY --chown=10:20 <<EOF /conf/sub/x.txt
x
EOF
COPY --from=build /out/ /out/
`

// bkPlatformArgs reads BuildKit's automatic platform ARGs.
const bkPlatformArgs = `ARG BASE
FROM ${BASE}
ARG TARGETPLATFORM
ARG TARGETOS
ARG TARGETARCH
ARG BUILDPLATFORM
ARG BUILDARCH
RUN echo "$TARGETPLATFORM $TARGETOS $TARGETARCH $BUILDPLATFORM $BUILDARCH" > /platform.txt
`

// bkDockerInit is docker init's Go template adapted to the busybox base
// as plugin/integration's copy is, without the secret's env= (the engine's
// BuildKit cannot do it).
const bkDockerInit = `# syntax=docker/dockerfile:1
ARG BASE
FROM --platform=$BUILDPLATFORM ${BASE} AS build
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod/ \
    --mount=type=bind,source=go.sum,target=go.sum \
    --mount=type=bind,source=go.mod,target=go.mod \
    sh -c 'cat go.mod go.sum > /go/pkg/mod/downloaded && echo downloaded'
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod/ \
    --mount=type=bind,target=. \
    sh -c 'mkdir -p /bin/out && cat main.go /go/pkg/mod/downloaded > /bin/out/server && chmod 755 /bin/out/server'
FROM ${BASE} AS final
RUN --mount=type=cache,target=/var/cache/apk \
    sh -c 'echo index > /var/cache/apk/APKINDEX && mkdir -p /etc/ssl && echo ca > /etc/ssl/bundle'
ARG UID=10001
RUN echo "appuser:x:${UID}:${UID}::/nonexistent:/sbin/nologin" >> /etc/passwd
USER appuser
RUN --mount=type=secret,id=api_token,uid=10001,target=/home/token \
    sh -c 'echo $(id -u) $(wc -c < /home/token) > /tmp/seen'
COPY --from=build /bin/out/server /bin/
EXPOSE 8000
ENTRYPOINT [ "/bin/server" ]
`

var (
	toolOnce sync.Once
	toolURL  string
)

const toolBody = "the downloaded tool\n"

// toolServer serves toolBody on loopback for ADD <url>, to both builders.
func toolServer() string {
	toolOnce.Do(func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		go func() {
			_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, toolBody) }))
		}()
		toolURL = "http://" + l.Addr().String() + "/tool.tar"
	})
	return toolURL
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func buildkitCases() []bkCase {
	url := toolServer()
	return slices.Concat(mountFromCases(), pickCases(), gitCases(), ownerCases(), commonCases(), moreCases(), envCases(), stageCases(), pathCases(), []bkCase{
		{name: "heredocs", dockerfile: bkHeredocs},
		{
			name: "scratch", dockerfile: bkScratch,
			differ: map[string]string{"etc": "kaniko's root is the plugin's own container, where /etc exists (the CA bundle, resolv.conf); so COPY --chown into /etc/ in a FROM scratch stage finds it and leaves it 0:0, where BuildKit creates it with the --chown owner (a directory the container lacks, /conf/sub, gets the owner in both)"},
		},
		{name: "platform-args", dockerfile: bkPlatformArgs},
		{
			name: "secrets", dockerfile: bkSecrets,
			secrets: map[string]string{"tok": "TOKENVALUE-5f1c8e2a9d", "npmrc": "//npm.example/:_authToken=NPMSECRET-77aa"},
			stubs:   []string{"run", "run/secrets"},
		},
		{
			name: "mounts", dockerfile: bkMounts, ssh: true,
			stubs: []string{"ctx", "other", "owned", "run", "run/buildkit", "scratch", "src"},
			files: map[string]string{"src/app.txt": "from the context\n", "src/sub/x": "x\n", "src/owned.txt": "owned\n"},
			// A checkout's files belong to the CI's user, not root.
			prepare: func(t *testing.T, ws string) {
				owned := filepath.Join(ws, "src", "owned.txt")
				if err := os.Chmod(owned, 0o600); err != nil {
					t.Fatal(err)
				}
				for _, p := range []string{owned, filepath.Join(ws, "src", "sub")} {
					if err := os.Lchown(p, 1000, 2000); err != nil {
						t.Skipf("this test chowns context files (run as root): %v", err)
					}
				}
			},
		},
		{name: "checksum", dockerfile: fmt.Sprintf("ARG BASE\nFROM ${BASE}\nADD --checksum=sha256:%s %s /opt/tool.tar\nADD --checksum=sha256:%s %s /opt/dir/\n", sha256Hex(toolBody), url, sha256Hex(toolBody), url)},
		{name: "checksum-mismatch", fail: true, dockerfile: fmt.Sprintf("ARG BASE\nFROM ${BASE}\nADD --checksum=sha256:%s %s /opt/tool.tar\n", sha256Hex("something else"), url)},
		{
			name: "docker-init", dockerfile: bkDockerInit,
			files:   map[string]string{"go.mod": "module example.com/server\n", "go.sum": "example.com/dep v1.0.0 h1:abc=\n", "main.go": "package main\n"},
			secrets: map[string]string{"api_token": "init-token-42"},
			stubs:   []string{"home", "var/cache", "var/cache/apk"},
		},
	})
}
