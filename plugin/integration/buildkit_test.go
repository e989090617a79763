package integration

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/crypto/ssh"
)

// heredocs uses every heredoc form BuildKit knows; each RUN leaves a file
// that says it ran as BuildKit runs it.
const heredocs = `ARG BASE
FROM ${BASE}
ARG NAME=world
ENV GREETING=hello
RUN <<EOF
echo "$GREETING $NAME" > /a.txt
EOF
RUN <<EOF
#!/bin/sh
echo "shebang $0" > /b.txt
EOF
RUN cat > /c.txt <<EOF
stdin $GREETING
EOF
RUN <<FILE1 cat > /d1.txt && <<FILE2 cat > /d2.txt
one
FILE1
two
FILE2
RUN <<-EOF
	echo tabs > /e.txt
	EOF
COPY <<EOF /etc/app.conf
name=$NAME
EOF
COPY <<"EOF" /etc/literal.conf
name=$NAME
EOF
COPY --chmod=0755 <<EOF /usr/local/bin/hello
#!/bin/sh
echo hi
EOF
COPY <<a <<b /dir/
A
a
B
b
SHELL ["/bin/sh", "-c", "echo custom > /shell.txt; eval \"$1\"", "shell"]
RUN <<EOF
echo "$0" > /f.txt
EOF
`

// layerBlobs returns every layer of img, compressed and uncompressed, and
// its raw config: where a leaked secret would be.
func layerBlobs(t *testing.T, img v1.Image) [][]byte {
	t.Helper()
	var out [][]byte
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, raw)
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		for _, open := range []func() (io.ReadCloser, error){l.Compressed, l.Uncompressed} {
			rc, err := open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

func historyOf(t *testing.T, img v1.Image) string {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, h := range cf.History {
		b.WriteString(h.CreatedBy + "\n")
	}
	return b.String()
}

func TestHeredocsBuildAsBuildKitBuildsThem(t *testing.T) {
	addRepos("bk/heredoc")
	ws := writeFiles(t, map[string]string{"Dockerfile": heredocs})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/heredoc", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage + ",NAME=ci"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	img, files := pulled(t, stack.Registry.Addr+"/bk/heredoc:latest")
	for path, want := range map[string]string{
		"a.txt":               "hello ci\n",
		"c.txt":               "stdin hello\n",
		"d1.txt":              "one\n",
		"d2.txt":              "two\n",
		"e.txt":               "tabs\n",
		"etc/app.conf":        "name=ci\n",
		"etc/literal.conf":    "name=$NAME\n",
		"usr/local/bin/hello": "#!/bin/sh\necho hi\n",
		"dir/a":               "A\n",
		"dir/b":               "B\n",
		"shell.txt":           "custom\n",
		"f.txt":               "shell\n",
	} {
		if got, ok := files[path]; !ok || got != want {
			t.Errorf("%s = %q (present %v), want %q", path, got, ok, want)
		}
	}
	if got := files["b.txt"]; !strings.HasPrefix(got, "shebang /") {
		t.Errorf("b.txt = %q: the #! heredoc did not run as a script file", got)
	}
	hist := historyOf(t, img)
	for _, want := range []string{"RUN <<EOF", "COPY <<EOF /etc/app.conf", "COPY --chmod=0755 <<EOF /usr/local/bin/hello", "RUN <<FILE1 cat > /d1.txt && <<FILE2 cat > /d2.txt"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	if strings.Contains(hist, "kaniko-ecr") || strings.Contains(hist, ".kaniko-ecr") {
		t.Errorf("history shows an internal form:\n%s", hist)
	}
}

func TestHeredocCopyWorksInAScratchStage(t *testing.T) {
	addRepos("bk/scratch")
	ws := writeFiles(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY --chmod=0600 <<EOF /only.txt\nonly\nEOF\n"})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/scratch"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	_, files := pulled(t, stack.Registry.Addr+"/bk/scratch:latest")
	if files["only.txt"] != "only\n" {
		t.Errorf("files %v", files)
	}
	for f := range files {
		if strings.HasPrefix(f, "kaniko") || strings.HasPrefix(f, "run/") {
			t.Errorf("an internal file reached the image: %s", f)
		}
	}
}

const secretsDockerfile = `ARG BASE
FROM ${BASE}
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /tok.sha && ls -ln /run/secrets/tok | cut -c1-10 > /tok.mode
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc,required=true sha256sum /root/.npmrc | cut -d' ' -f1 > /npmrc.sha
RUN --mount=type=secret,id=tok,env=TOKEN sh -c 'echo ${#TOKEN} > /env.len'
RUN test ! -e /run/secrets/tok && test ! -e /root/.npmrc && echo absent > /absent.txt
RUN --mount=type=secret,id=notgiven cat /run/secrets/notgiven > /notgiven.txt 2>/dev/null || echo missing > /notgiven.txt
`

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestBuildSecretsReachTheirStepsAndNoLayerHistoryOrLog(t *testing.T) {
	addRepos("bk/secrets", "bk/secrets/cache")
	const tok, npmrc = "TOKENVALUE-5f1c8e2a9d", "//npm.example/:_authToken=NPMSECRET-77aa"
	ws := writeFiles(t, map[string]string{"Dockerfile": secretsDockerfile, "ci/npmrc": npmrc})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO": "bk/secrets", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
		"PLUGIN_SECRETS_FROM_ENV":  "tok=MY_TOKEN",
		"PLUGIN_SECRETS_FROM_FILE": "npmrc=ci/npmrc",
		"MY_TOKEN":                 tok,
		"SANDBOX_ENV":              "MY_TOKEN",
		"PLUGIN_ENABLE_CACHE":      "true",
		"PLUGIN_VERBOSITY":         "trace",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	img, files := pulled(t, stack.Registry.Addr+"/bk/secrets:latest")
	for path, want := range map[string]string{
		"tok.sha": sha(tok) + "\n", "tok.mode": "-r--------\n", "npmrc.sha": sha(npmrc) + "\n",
		"env.len": fmt.Sprintf("%d\n", len(tok)), "absent.txt": "absent\n", "notgiven.txt": "missing\n",
	} {
		if got := files[path]; got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	for f := range files {
		if strings.HasPrefix(f, "run/secrets") || f == "root/.npmrc" {
			t.Errorf("a secret mount left %s in the image", f)
		}
	}
	for _, secret := range []string{tok, npmrc} {
		for i, b := range layerBlobs(t, img) {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("blob %d of the image holds a secret (%.8s...)", i, secret)
			}
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the trace-level log holds a secret (%.8s...)", secret)
		}
	}
	if hist := historyOf(t, img); !strings.Contains(hist, "RUN --mount=type=secret,id=tok sha256sum") {
		t.Errorf("history does not show the line as written:\n%s", hist)
	}
}

func TestMissingRequiredSecretExitsTwoNamingTheLine(t *testing.T) {
	before := len(stack.API.Calls())
	ws := writeFiles(t, map[string]string{"Dockerfile": secretsDockerfile})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/secrets", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Dockerfile:4:") || !strings.Contains(r.stderr, "npmrc") {
		t.Errorf("the report does not name line 4 and the secret:\n%s", r.stderr)
	}
	if n := len(stack.API.Calls()) - before; n != 0 {
		t.Errorf("%d AWS calls before validation ended", n)
	}
}

const mountsDockerfile = `ARG BASE
FROM ${BASE}
RUN mkdir -p /var/cache/app && echo base > /var/cache/app/base.txt
RUN --mount=type=cache,target=/var/cache/app sh -c 'echo run >> /var/cache/app/log; cat /var/cache/app/log | wc -l > /first.count; test ! -e /var/cache/app/base.txt && echo hidden > /hidden.txt'
RUN --mount=type=cache,target=/var/cache/app,id=/var/cache/app cat /var/cache/app/log | wc -l > /second.count
RUN --mount=type=bind,source=src,target=/src cat /src/app.txt > /bound.txt
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo x > /scratch/f && ls /scratch > /tmpfs.txt'
RUN --mount=type=ssh sh -c 'test -S "$SSH_AUTH_SOCK" && echo socket > /ssh.txt'
`

func TestCacheBindTmpfsAndSSHMountsLeaveNothingInTheImage(t *testing.T) {
	addRepos("bk/mounts")
	ws := writeFiles(t, map[string]string{"Dockerfile": mountsDockerfile, "src/app.txt": "from the context\n"})
	key := sshKeyPEM(t)
	env := map[string]string{
		"PLUGIN_REPO": "bk/mounts", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
		"PLUGIN_SSH_AGENT_KEY": key, "PLUGIN_CACHE_MOUNT_DIR": "cache-mounts",
	}
	for round, wantFirst := range []string{"1\n", "2\n"} {
		r := runPlugin(t, ws, env)
		if r.code != 0 {
			t.Fatalf("round %d: exit %d\n%s", round, r.code, r.stderr)
		}
		img, files := pulled(t, stack.Registry.Addr+"/bk/mounts:latest")
		// Within a build, both RUNs share the cache; across builds it comes
		// back from PLUGIN_CACHE_MOUNT_DIR.
		if files["first.count"] != wantFirst || files["second.count"] != wantFirst {
			t.Errorf("round %d: the cache held %q then %q lines, want %q twice", round, files["first.count"], files["second.count"], wantFirst)
		}
		for path, want := range map[string]string{
			"hidden.txt": "hidden\n", "var/cache/app/base.txt": "base\n", "bound.txt": "from the context\n",
			"tmpfs.txt": "f\n", "ssh.txt": "socket\n",
		} {
			if files[path] != want {
				t.Errorf("round %d: %s = %q, want %q", round, path, files[path], want)
			}
		}
		for f := range files {
			if f == "var/cache/app/log" || strings.HasPrefix(f, "src/") || strings.HasPrefix(f, "scratch") || strings.HasPrefix(f, "run/buildkit") {
				t.Errorf("round %d: mount content %s reached the image", round, f)
			}
		}
		for i, b := range layerBlobs(t, img) {
			if bytes.Contains(b, []byte(strings.Split(key, "\n")[1])) {
				t.Errorf("round %d: blob %d holds the SSH key", round, i)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "cache-mounts")); err != nil {
		t.Errorf("PLUGIN_CACHE_MOUNT_DIR was not written: %v", err)
	}
}

// serveFile serves body on loopback for ADD <url>.
func serveFile(t *testing.T, body string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/tool.tar"
}

func TestAddChecksumIsVerified(t *testing.T) {
	addRepos("bk/checksum")
	const body = "the downloaded tool\n"
	url := serveFile(t, body)
	for _, tc := range []struct {
		name, digest string
		wantCode     int
	}{
		{"good", sha(body), 0},
		{"bad", sha("something else"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tag := "checksum-" + tc.name
			ws := writeFiles(t, map[string]string{"Dockerfile": fmt.Sprintf("ARG BASE\nFROM ${BASE}\nADD --checksum=sha256:%s %s /opt/tool.tar\n", tc.digest, url)})
			r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/checksum", "PLUGIN_TAGS": tag, "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.wantCode, r.stderr)
			}
			if tc.wantCode == 0 {
				_, files := pulled(t, stack.Registry.Addr+"/bk/checksum:"+tag)
				if files["opt/tool.tar"] != body {
					t.Errorf("opt/tool.tar = %q", files["opt/tool.tar"])
				}
				return
			}
			if !strings.Contains(r.stderr, "Dockerfile:3:") || !strings.Contains(r.stderr, "checksum") {
				t.Errorf("the failure does not name the line:\n%s", r.stderr)
			}
			if tagExists(t, stack.Registry.Addr+"/bk/checksum:"+tag) {
				t.Error("a tag was pushed after a checksum mismatch")
			}
		})
	}
}

// sshKeyPEM is a new private key in OpenSSH's PEM form.
func sshKeyPEM(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func TestForeignPlatformRunWithoutBinfmtExitsTwoBeforeAnyCall(t *testing.T) {
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	if other == "" {
		t.Skip("no other architecture known for " + runtime.GOARCH)
	}
	if entries, _ := os.ReadDir("/proc/sys/fs/binfmt_misc"); len(entries) > 2 {
		t.Skip("this machine has binfmt handlers registered")
	}
	before := len(stack.API.Calls())
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE} AS build\nCOPY a.txt /a.txt\nRUN cat /a.txt\n", "a.txt": "a\n"})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/foreign", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_PLATFORM": "linux/" + other})
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"stage build (Dockerfile:4)", "PLUGIN_INDEX_SOURCES"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := len(stack.API.Calls()) - before; n != 0 {
		t.Errorf("%d AWS calls before validation ended", n)
	}
}

func TestCacheMountsPersistThroughTheRegistryAndOnlyChangesArePushed(t *testing.T) {
	addRepos("bk/remote", "bk/remote/cache")
	ws := writeFiles(t, map[string]string{"Dockerfile": `ARG BASE
FROM ${BASE}
RUN --mount=type=cache,target=/var/cache/build sh -c 'echo run >> /var/cache/build/log; wc -l < /var/cache/build/log > /count.txt'
RUN --mount=type=cache,target=/static,id=static sh -c 'test -f /static/x || head -c 1048576 /dev/urandom > /static/x; wc -c < /static/x > /static.txt'
`})
	env := map[string]string{"PLUGIN_REPO": "bk/remote", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_CACHE_MOUNT_REMOTE": "true"}
	for round, want := range []string{"1", "2"} {
		r := runPlugin(t, ws, env)
		if r.code != 0 {
			t.Fatalf("round %d: exit %d\n%s", round, r.code, r.stderr)
		}
		_, files := pulled(t, stack.Registry.Addr+"/bk/remote:latest")
		if got := strings.TrimSpace(files["count.txt"]); got != want {
			t.Errorf("round %d: the cache held %s lines, want %s", round, got, want)
		}
		if got := strings.TrimSpace(files["static.txt"]); got != "1048576" {
			t.Errorf("round %d: static.txt = %q", round, got)
		}
		if round == 1 && !strings.Contains(r.stderr, "cache mount static: unchanged, not pushed") {
			t.Errorf("round %d: an unchanged cache mount was pushed again:\n%s", round, r.stderr)
		}
		for _, line := range strings.Split(r.stderr, "\n") {
			if strings.Contains(line, "cache mount") {
				t.Log(line)
			}
		}
	}
	if !tagExists(t, stack.Registry.Addr+"/bk/remote/cache:cache-mount-"+sha("static")[:40]) {
		t.Error("the static cache mount is not in the cache repository")
	}
}

// dockerInitGo is `docker init`'s Go template, adapted to the busybox base:
// the go commands, apk and adduser are shell; the structure and every mount
// are as written.
const dockerInitGo = `# syntax=docker/dockerfile:1
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
RUN --mount=type=secret,id=api_token,uid=10001,env=API_TOKEN \
    --mount=type=secret,id=api_token,uid=10001,target=/home/token \
    sh -c 'echo ${#API_TOKEN} $(id -u) $(wc -c < /home/token) > /tmp/seen'
COPY --from=build /bin/out/server /bin/
EXPOSE 8000
ENTRYPOINT [ "/bin/server" ]
`

func TestDockerInitStyleDockerfileBuildsWithItsMounts(t *testing.T) {
	addRepos("bk/init")
	ws := writeFiles(t, map[string]string{
		"Dockerfile": dockerInitGo,
		"go.mod":     "module example.com/server\n",
		"go.sum":     "example.com/dep v1.0.0 h1:abc=\n",
		"main.go":    "package main\n",
	})
	const token = "init-token-42"
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO": "bk/init", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
		"PLUGIN_SECRET": "id=api_token,env=API_TOKEN_SRC", "API_TOKEN_SRC": token, "SANDBOX_ENV": "API_TOKEN_SRC",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	img, files := pulled(t, stack.Registry.Addr+"/bk/init:latest")
	want := "package main\nmodule example.com/server\nexample.com/dep v1.0.0 h1:abc=\n"
	if got := files["bin/server"]; got != want {
		t.Errorf("bin/server = %q, want %q: the bind and cache mounts did not carry the files", got, want)
	}
	if got := files["tmp/seen"]; got != fmt.Sprintf("%d 10001 %d\n", len(token), len(token)) {
		t.Errorf("tmp/seen = %q: the non-root USER did not get its secret", got)
	}
	for f := range files {
		if strings.HasPrefix(f, "var/cache/apk/") || strings.HasPrefix(f, "go/") || f == "home/token" || strings.HasPrefix(f, "src/") {
			t.Errorf("mount content %s reached the image", f)
		}
	}
	if files["etc/ssl/bundle"] != "ca\n" {
		t.Error("a RUN with a cache mount lost what it wrote outside the mount")
	}
	for i, b := range layerBlobs(t, img) {
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("blob %d holds the secret", i)
		}
	}
}
