package gitsource

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
)

// gitRepo makes a repository under dir/repo.git with a main branch and a
// tag v1, and returns the commits of main's two commits.
func gitRepo(t *testing.T, dir string) (first, second string) {
	t.Helper()
	work := filepath.Join(dir, "work")
	run := func(args ...string) string { return gitIn(t, work, args...) }
	if err := os.MkdirAll(filepath.Join(work, "sub", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	run("init", "-q", "-b", "main")
	write := func(name, content string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("README", "one\n", 0o600)
	write("run.sh", "#!/bin/sh\n", 0o700)
	write("sub/deep/file", "deep\n", 0o644)
	if err := os.Symlink("sub/deep/file", filepath.Join(work, "link")); err != nil {
		t.Fatal(err)
	}
	run("add", "-A")
	run("commit", "-q", "-m", "one")
	first = run("rev-parse", "HEAD")
	run("tag", "-a", "-m", "v1", "v1")
	write("README", "two\n", 0o644)
	run("commit", "-q", "-am", "two")
	second = run("rev-parse", "HEAD")
	run("clone", "-q", "--bare", work, filepath.Join(dir, "repo.git"))
	return first, second
}

// serve serves dir's repositories over git's smart HTTP, requiring the
// Authorization header auth when it is set.
func serve(t *testing.T, dir, auth string) string {
	t.Helper()
	h := &cgi.Handler{Path: "/usr/lib/git-core/git-http-backend", Env: []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth != "" && r.Header.Get("Authorization") != auth {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestResolveFindsBranchesTagsAndHEADAndChecksTheChecksum(t *testing.T) {
	dir := t.TempDir()
	first, second := gitRepo(t, dir)
	remote := serve(t, dir, "") + "/repo.git"
	tagObject, err := exec.Command("git", "--git-dir", filepath.Join(dir, "repo.git"), "rev-parse", "v1").Output()
	if err != nil {
		t.Fatal(err)
	}
	tag := strings.TrimSpace(string(tagObject))
	for _, c := range []struct {
		ref, want, name, checksum string
		fail                      bool
	}{
		{ref: "tags/v1", want: first, name: "refs/tags/v1"},
		{ref: "refs/tags/v1", want: first, name: "refs/tags/v1"},
		{ref: "v1", checksum: tag[:8], want: first, name: "refs/tags/v1"}, // the annotated tag's own id, as BuildKit accepts
		{ref: "v1", checksum: first, want: first, name: "refs/tags/v1"},
		{ref: first, checksum: second, fail: true},
		{ref: "", want: second, name: "refs/heads/main"},
		{ref: "main", want: second, name: "refs/heads/main"},
		{ref: "refs/heads/main", want: second, name: "refs/heads/main"},
		{ref: "v1", want: first, name: "refs/tags/v1"},
		{ref: first, want: first},
		{ref: "main", checksum: second[:10], want: second, name: "refs/heads/main"},
		{ref: "main", checksum: first, fail: true},
		{ref: "nope", fail: true},
	} {
		got, err := Resolve(context.Background(), Source{Remote: remote, Ref: c.ref, Checksum: c.checksum}, Credentials{})
		if c.fail != (err != nil) || !c.fail && (got.Commit != c.want || got.Name != c.name) {
			t.Errorf("ref %q checksum %q: got %+v, %v; want %s %s (fail %v)", c.ref, c.checksum, got, err, c.want, c.name, c.fail)
		}
	}
}

func TestTokenAndHeaderSecretsReachTheServerAsBuildKitSendsThem(t *testing.T) {
	dir := t.TempDir()
	_, second := gitRepo(t, dir)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:tok3n"))
	base := serve(t, dir, basic)
	host := strings.TrimPrefix(base, "http://")
	src := Source{Remote: base + "/repo.git", Ref: "main"}
	for name, secrets := range map[string]map[string]redact.Secret{
		"token":         {"GIT_AUTH_TOKEN": "tok3n"},
		"token.host":    {"GIT_AUTH_TOKEN." + host: "tok3n", "GIT_AUTH_TOKEN": "wrong"},
		"header":        {"GIT_AUTH_HEADER": redact.Secret(basic)},
		"header.host":   {"GIT_AUTH_HEADER." + host: redact.Secret(basic), "GIT_AUTH_TOKEN." + host: "wrong"},
		"other host":    {"GIT_AUTH_TOKEN.example.com": "tok3n"},
		"wrong":         {"GIT_AUTH_TOKEN": "wrong"},
		"no credential": nil,
	} {
		got, err := Resolve(context.Background(), src, Credentials{Secrets: secrets})
		ok := !strings.Contains(name, "other") && name != "wrong" && name != "no credential"
		if ok != (err == nil) || ok && got.Commit != second {
			t.Errorf("%s: got %+v, %v", name, got, err)
		}
		if err != nil && (strings.Contains(err.Error(), "tok3n") || strings.Contains(err.Error(), "x-access-token")) {
			t.Errorf("%s: the error shows the credential: %v", name, err)
		}
	}
}

func TestCheckoutAndPlaceGiveGitsModesTheOwnerAndNoGitDirUnlessKept(t *testing.T) {
	dir := t.TempDir()
	first, _ := gitRepo(t, dir)
	remote := serve(t, dir, "") + "/repo.git"
	for _, c := range []struct {
		src     Source
		files   map[string]string // path -> mode and kind
		gitKept bool
	}{
		{src: Source{Ref: "v1"}, files: map[string]string{"README": "-rw-r--r--", "run.sh": "-rwxr-xr-x", "sub": "drwxr-xr-x", "sub/deep/file": "-rw-r--r--", "link": "Lrwxrwxrwx"}},
		{src: Source{Ref: "v1", SubDir: "sub"}, files: map[string]string{"deep": "drwxr-xr-x", "deep/file": "-rw-r--r--"}},
		{src: Source{Ref: "v1", KeepGitDir: true}, files: map[string]string{"README": "-rw-r--r--"}, gitKept: true},
		{src: Source{Ref: "v1", KeepGitDir: true, SubDir: "sub"}, files: map[string]string{"deep/file": "-rw-r--r--"}},
		{src: Source{Ref: first, SubDir: "sub/deep"}, files: map[string]string{"file": "-rw-r--r--"}},
	} {
		c.src.Remote = remote
		res, err := Resolve(context.Background(), c.src, Credentials{})
		if err != nil || res.Commit != first {
			t.Fatalf("%+v: %+v %v", c.src, res, err)
		}
		tree, when, err := Checkout(context.Background(), c.src, res, Credentials{}, t.TempDir())
		if err != nil {
			t.Fatalf("%+v: %v", c.src, err)
		}
		if want := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC); !when.Equal(want) {
			t.Errorf("commit time %v, want %v", when, want)
		}
		dst := t.TempDir()
		mtime := time.Unix(1000, 0)
		if err := Place(tree, dst, Owner{UID: os.Getuid(), GID: os.Getgid(), MTime: mtime}); err != nil {
			t.Fatal(err)
		}
		for name, mode := range c.files {
			fi, err := os.Lstat(filepath.Join(dst, name))
			if err != nil || fi.Mode().String() != mode || !fi.ModTime().Equal(mtime) {
				t.Errorf("%+v: %s: %v %v, want %s", c.src, name, fi.Mode(), err, mode)
			}
		}
		_, err = os.Stat(filepath.Join(dst, ".git", "HEAD"))
		if _, lerr := os.Lstat(filepath.Join(dst, ".git")); c.gitKept != (err == nil) || c.gitKept != (lerr == nil) {
			t.Errorf("%+v: .git kept: %v", c.src, err == nil)
		}
		if c.gitKept {
			head, _ := os.ReadFile(filepath.Join(dst, ".git", "HEAD"))
			if strings.TrimSpace(string(head)) != first {
				t.Errorf("HEAD %q, want detached at %s", head, first)
			}
		}
	}
}

func TestPublicHidesThePasswordOfTheRemote(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:secret@example.com/r.git": "https://user:xxxxx@example.com/r.git",
		"https://example.com/r.git":             "https://example.com/r.git",
		"git@github.com:o/r.git":                "git@github.com:o/r.git",
	} {
		if got := Public(in); got != want {
			t.Errorf("Public(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckoutTakesTheResolvedCommitWhenTheBranchMovedSince(t *testing.T) {
	dir := t.TempDir()
	_, second := gitRepo(t, dir)
	remote := serve(t, dir, "") + "/repo.git"
	src := Source{Remote: remote, Ref: "main"}
	res, err := Resolve(context.Background(), src, Credentials{})
	if err != nil || res.Commit != second {
		t.Fatalf("%+v %v", res, err)
	}
	// main moves on after the build resolved it.
	work := filepath.Join(dir, "work")
	for _, args := range [][]string{{"commit", "-q", "--allow-empty", "-m", "three"}, {"push", "-q", filepath.Join(dir, "repo.git"), "main"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	tree, _, err := Checkout(context.Background(), src, res, Credentials{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(tree, "README")); string(b) != "two\n" {
		t.Errorf("README %q: not the resolved commit's", b)
	}
}

func TestSSHRemotesUseTheSSHKeyWithTheURLsUser(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	cred := Credentials{SSHKey: redact.Secret(pem.EncodeToMemory(block)), Secrets: map[string]redact.Secret{"GIT_AUTH_TOKEN": "tok3n-secret"}}
	for remote, user := range map[string]string{
		"git@github.com:o/r.git":       "git",
		"ssh://bob@example.com:2222/r": "bob",
		"ssh://example.com/r.git":      "git",
	} {
		a, err := cred.auth(remote)
		pk, ok := a.(*gitssh.PublicKeys)
		if err != nil || !ok || pk.User != user {
			t.Errorf("%s: %T %v %v, want the key as %s", remote, a, a, err, user)
		}
		if a, err := (Credentials{}).auth(remote); a != nil || err != nil {
			t.Errorf("%s without a key: %v %v", remote, a, err)
		}
	}
	if a, _ := cred.auth("https://example.com/r.git"); a == nil || strings.Contains(fmt.Sprint(a), "tok3n") {
		t.Errorf("https: %v", a)
	}
	if a, _ := (Credentials{Secrets: map[string]redact.Secret{"GIT_AUTH_HEADER": "Bearer x"}}).auth("https://example.com/r.git"); fmt.Sprint(a) != "http-authorization-header: [redacted]" {
		t.Errorf("the header prints as %q", fmt.Sprint(a))
	}
}

func TestAKeptGitDirHoldsNoCredentialOfTheRemotesURL(t *testing.T) {
	dir := t.TempDir()
	_, second := gitRepo(t, dir)
	base := serve(t, dir, "Basic "+base64.StdEncoding.EncodeToString([]byte("x-access-token:tok3n")))
	src := Source{Remote: strings.Replace(base, "http://", "http://x-access-token:tok3n@", 1) + "/repo.git", KeepGitDir: true}
	res, err := Resolve(context.Background(), src, Credentials{})
	if err != nil || res.Commit != second {
		t.Fatalf("%+v %v", res, err)
	}
	tree, _, err := Checkout(context.Background(), src, res, Credentials{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(filepath.Join(tree, ".git"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if strings.Contains(string(b), "tok3n") {
			t.Errorf("%s holds the password", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := os.ReadFile(filepath.Join(tree, ".git", "config")); !strings.Contains(string(cfg), "x-access-token:xxxxx@") {
		t.Errorf(".git/config:\n%s", cfg)
	}
}
