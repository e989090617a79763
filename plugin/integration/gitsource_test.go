package integration

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// gitServer is a repository served over git's smart HTTP on loopback by
// git http-backend (under net/http/cgi), with basic auth when a token is
// set; work is its working clone, where tests commit and push.
type gitServer struct {
	URL  string // http://127.0.0.1:port/repo.git
	work string
}

// newGitServer makes a repository with a main branch (README, an
// executable run.sh, a symlink, sub/deep/file) and tag v1, served with
// the token as x-access-token's password, as BuildKit sends
// GIT_AUTH_TOKEN, when token is set.
func newGitServer(t *testing.T, token string) *gitServer {
	t.Helper()
	dir := t.TempDir()
	g := &gitServer{work: filepath.Join(dir, "work")}
	if err := os.MkdirAll(filepath.Join(g.work, "sub", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	g.git(t, "init", "-q", "-b", "main")
	g.write(t, "README", "one\n", 0o644)
	g.write(t, "run.sh", "#!/bin/sh\necho run\n", 0o755)
	g.write(t, "sub/deep/file", "deep\n", 0o600)
	if err := os.Symlink("sub/deep/file", filepath.Join(g.work, "link")); err != nil {
		t.Fatal(err)
	}
	g.commit(t, "one")
	g.git(t, "tag", "-a", "-m", "v1", "v1")
	g.git(t, "clone", "-q", "--bare", g.work, filepath.Join(dir, "repo.git"))
	g.git(t, "remote", "add", "origin", filepath.Join(dir, "repo.git"))
	backend := filepath.Join(strings.TrimSpace(g.git(t, "--exec-path")), "git-http-backend")
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"}}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && !strings.EqualFold(r.Header.Get("Authorization"), want) { // BuildKit sends "basic ..."
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	g.URL = "http://" + ln.Addr().String() + "/repo.git"
	return g
}

func (g *gitServer) git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = g.work
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (g *gitServer) write(t *testing.T, name, body string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(g.work, name)
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// commit commits everything and returns the commit.
func (g *gitServer) commit(t *testing.T, msg string) string {
	t.Helper()
	g.git(t, "add", "-A")
	g.git(t, "commit", "-q", "-m", msg)
	return strings.TrimSpace(g.git(t, "rev-parse", "HEAD"))
}

// push moves the served main branch to a new commit with README's body.
func (g *gitServer) push(t *testing.T, readme string) {
	t.Helper()
	g.write(t, "README", readme, 0o644)
	g.commit(t, "move")
	g.git(t, "push", "-q", "origin", "main")
}

func TestAddOfAPrivateGitRepoWithATokenLandsAsBuildKitsTreeAndTheTokenNowhere(t *testing.T) {
	addRepos("git/private")
	const token = "GITTOKEN-5d8e1f0a"
	srv := newGitServer(t, token)
	head := strings.TrimSpace(srv.git(t, "rev-parse", "HEAD"))
	df := fmt.Sprintf("ARG BASE\nFROM ${BASE}\nADD %s /src\nADD --chown=1000:1000 %s#v1:sub /sub/\nADD --keep-git-dir --checksum=%s \"%s?ref=main\" /kept\n", srv.URL, srv.URL, head[:12], srv.URL)
	ws := writeFiles(t, map[string]string{"Dockerfile": df})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO": "git/private", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
		"PLUGIN_SECRET": "id=GIT_AUTH_TOKEN,env=TOKEN_SRC", "TOKEN_SRC": token, "SANDBOX_ENV": "TOKEN_SRC",
		"PLUGIN_LOG_LEVEL":  "trace",
		"PLUGIN_PROVENANCE": "max", "DRONE_BUILD_LINK": "https://ci.example/team/app/7",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	ref := stack.Registry.Addr + "/git/private:latest"
	files := imageFiles(t, ref)
	for p, want := range map[string]string{
		"src/README":        `0 644 0:0  "one\n"`,
		"src/run.sh":        `0 755 0:0  "#!/bin/sh\necho run\n"`,
		"src/link":          `2 777 0:0 sub/deep/file ""`,
		"src/sub/deep/file": `0 644 0:0  "deep\n"`,
		"src/sub/deep":      `5 755 0:0  ""`,
		"sub/deep/file":     `0 644 1000:1000  "deep\n"`,
		"sub/deep":          `5 755 1000:1000  ""`,
		"kept/README":       `0 644 0:0  "one\n"`,
		"kept/.git/HEAD":    fmt.Sprintf(`0 644 0:0  "%s\n"`, head),
		"kept/.git/shallow": fmt.Sprintf(`0 644 0:0  "%s\n"`, head),
	} {
		if got := files[p]; got != want {
			t.Errorf("%s: %s, want %s", p, got, want)
		}
	}
	for p := range files {
		if strings.HasPrefix(p, "src/.git") || strings.HasPrefix(p, "sub/.git") {
			t.Errorf("%s: .git reached the image without keep-git-dir", p)
		}
	}
	img, _ := pulled(t, ref)
	for i, b := range layerBlobs(t, img) {
		if bytes.Contains(b, []byte(token)) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token)))) {
			t.Errorf("blob %d (0: the config, with the history) holds the token", i)
		}
	}
	if strings.Contains(r.stderr, token) {
		t.Error("the log holds the token")
	}
	// The history shows the instructions as written, not the helper.
	cf, _ := img.ConfigFile()
	hist, _ := json.Marshal(cf.History)
	if !strings.Contains(string(hist), "ADD --keep-git-dir") || strings.Contains(string(hist), "kaniko-ecr") {
		t.Errorf("history %s", hist)
	}
	// The provenance lists each git source with its commit.
	_, _, payload := referrer(t, stack.Registry.Addr+"/git/private", digestOf(t, ref))
	for _, want := range []string{`{"digest":{"sha1":"` + head + `"},"uri":"` + srv.URL + `#refs/heads/main"}`, `"uri":"` + srv.URL + `#refs/tags/v1"`} {
		if !strings.Contains(string(payload), want) {
			t.Errorf("provenance lacks %s:\n%s", want, payload)
		}
	}
	if bytes.Contains(payload, []byte(token)) {
		t.Error("the provenance holds the token")
	}
}

func TestAddOfAGitSourceWithoutTheTokenFailsNamingTheLine(t *testing.T) {
	addRepos("git/denied")
	srv := newGitServer(t, "GITTOKEN-needed")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nADD " + srv.URL + "#main /src\n"})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "git/denied", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code == 0 || !strings.Contains(r.stderr, "Dockerfile:3: ADD") || !strings.Contains(r.stderr, "authentication required") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestCachedGitSourceIsRebuiltWhenTheBranchMovesAndReusedWhenItDoesNot(t *testing.T) {
	addRepos("git/cached", "git/cache")
	srv := newGitServer(t, "")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nADD " + srv.URL + "#main /src\nRUN cat /src/README > /copy\n"})
	env := map[string]string{"PLUGIN_REPO": "git/cached", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_CACHE_REPO": "git/cache"}
	ref := stack.Registry.Addr + "/git/cached:latest"
	build := func(want string) string {
		t.Helper()
		r := runPlugin(t, ws, env)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		_, files := pulled(t, ref)
		if files["src/README"] != want || files["copy"] != want {
			t.Errorf("src/README %q, copy %q, want %q", files["src/README"], files["copy"], want)
		}
		return r.stderr
	}
	build("one\n")
	if log := build("one\n"); !strings.Contains(log, "Using caching version of cmd: RUN") {
		t.Errorf("the unchanged branch was not taken from the cache:\n%s", log)
	}
	srv.push(t, "two\n")
	log := build("two\n")
	if !strings.Contains(log, "No cached layer found for cmd RUN") {
		t.Errorf("the moved branch was taken from the cache:\n%s", log)
	}
}

// bkGitDockerfile adds the repository in the forms the engine's BuildKit
// in plugin/integration/runtime cannot build: subdirectories, --chmod,
// --checksum, ssh, with the token and the SSH key.
const bkGitDockerfile = `ARG BASE
FROM ${BASE}
ADD %[1]s /src
ADD --chown=1000:1000 %[1]s#v1:sub /sub/
ADD "%[1]s?ref=v1&subdir=sub/deep" /deep
ADD --chmod=700 %[1]s#main /chmod
ADD --checksum=%[2]s --keep-git-dir %[1]s#main /kept
ADD %[1]s#v1:sub/deep /tmp
ADD --chown=1000:1000 --chmod=750 %[1]s#v1:sub/deep /etc/
ADD --chown=1000:1000 %[1]s#v1:sub/deep /home
ADD --chown=1000:1000 --chmod=700 %[1]s#v1:sub/deep /new/parent/dir
ADD ssh://git@%[3]s/repo.git#v1:sub /ssh
RUN cat /kept/.git/HEAD > /kept.head && rm -rf /kept/.git
`

// The tree a private git source lands as is BuildKit's: buildkitd of
// go.mod's version (KANIKO_ECR_BUILDKIT_BIN, as for the cache matrix),
// with the token as the GIT_AUTH_TOKEN secret, builds the same Dockerfile
// to a tar; every path the git sources wrote is compared (type, mode,
// owner, link, content; not mtimes).
func TestGitSourceTreesMatchBuildKitOfGoModsVersion(t *testing.T) {
	bin := os.Getenv("KANIKO_ECR_BUILDKIT_BIN")
	if bin == "" {
		t.Skip("KANIKO_ECR_BUILDKIT_BIN (a directory with buildkitd and buildctl) is not set")
	}
	addRepos("git/parity")
	const token = "GITTOKEN-parity-77e1"
	srv := newGitServer(t, token)
	head := strings.TrimSpace(srv.git(t, "rev-parse", "HEAD"))
	key := sshKeyPEM(t)
	signer, err := ssh.ParsePrivateKey([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	sshAddr := serveGitSSH(t, filepath.Dir(srv.work), signer.PublicKey())
	ws := writeFiles(t, map[string]string{"Dockerfile": fmt.Sprintf(bkGitDockerfile, srv.URL, head, sshAddr), "token": token, "key": key})
	if err := os.Chmod(filepath.Join(ws, "key"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO": "git/parity", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_SECRETS_FROM_FILE": "GIT_AUTH_TOKEN=token",
		"PLUGIN_SSH_AGENT_KEY": key,
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	ours := imageFiles(t, stack.Registry.Addr+"/git/parity:latest")
	for _, p := range []string{"src/README", "ssh/deep/file", "deep/file", "kept.head"} {
		if ours[p] == "" {
			t.Errorf("/%s is missing", p)
		}
	}

	bk := startBuildkitd(t, bin)
	out := filepath.Join(t.TempDir(), "rootfs.tar")
	cmd := exec.Command(filepath.Join(bk.bin, "buildctl"), "--addr", bk.addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context="+ws, "--local", "dockerfile="+ws, "--opt", "build-arg:BASE="+baseImage,
		"--secret", "id=GIT_AUTH_TOKEN,src="+filepath.Join(ws, "token"), "--ssh", "default="+filepath.Join(ws, "key"), "--output", "type=tar,dest="+out, "--progress", "plain")
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+bk.dockerConfig)
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl build: %v\n%s", err, log)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	theirs := tarFiles(t, f)
	under := func(p string) bool {
		for _, d := range []string{"src", "sub", "deep", "chmod", "kept", "kept.head", "new", "ssh"} {
			if p == d || strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		// Existing directories the sources go into, and what they add.
		return slices.Contains([]string{"tmp", "tmp/file", "etc", "etc/file", "home", "home/file"}, p)
	}
	n := 0
	for _, tree := range []map[string]string{ours, theirs} {
		for p := range tree {
			if !under(p) {
				continue
			}
			n++
			if ours[p] != theirs[p] {
				t.Errorf("/%s: BuildKit %q, kaniko-ecr %q", p, theirs[p], ours[p])
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d paths compared", n)
	}
}

// tarFiles is imageFiles for a root filesystem tar.
func tarFiles(t *testing.T, r io.Reader) map[string]string {
	t.Helper()
	tr := tar.NewReader(r)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		files[strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")] = fmt.Sprintf("%c %o %d:%d %s %q", h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname, body)
	}
}
