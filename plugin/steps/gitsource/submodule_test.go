package gitsource

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
)

// gitIn runs git in dir with a fixed identity and dates.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t",
		"GIT_COMMITTER_DATE=2020-01-02T03:04:05Z", "GIT_AUTHOR_DATE=2020-01-02T03:04:05Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// submoduleRepos makes, under dir, lib.git (one file, with an older
// commit the app pins), app.git with lib at "../lib.git" as its submodule
// "vendor/lib", and evil.git whose submodule points at a local path.
func submoduleRepos(t *testing.T, dir string) {
	t.Helper()
	lib := filepath.Join(dir, "lib")
	mustMkdir(t, lib)
	gitIn(t, lib, "init", "-q", "-b", "main")
	mustWriteFile(t, filepath.Join(lib, "lib.txt"), "pinned\n")
	gitIn(t, lib, "add", "-A")
	gitIn(t, lib, "commit", "-q", "-m", "pinned")
	pinned := gitIn(t, lib, "rev-parse", "HEAD")
	mustWriteFile(t, filepath.Join(lib, "lib.txt"), "newer\n")
	gitIn(t, lib, "commit", "-q", "-am", "newer")
	gitIn(t, dir, "clone", "-q", "--bare", lib, "lib.git")
	for name, url := range map[string]string{"app": "../lib.git", "evil": "/etc"} {
		w := filepath.Join(dir, name)
		mustMkdir(t, w)
		gitIn(t, w, "init", "-q", "-b", "main")
		mustWriteFile(t, filepath.Join(w, "README"), name+"\n")
		mustWriteFile(t, filepath.Join(w, ".gitmodules"), "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = "+url+"\n")
		gitIn(t, w, "update-index", "--add", "--cacheinfo", "160000,"+pinned+",vendor/lib")
		gitIn(t, w, "add", "README", ".gitmodules")
		gitIn(t, w, "commit", "-q", "-m", "app")
		gitIn(t, dir, "clone", "-q", "--bare", w, name+".git")
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWriteFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A git source's submodules are checked out at the commits it pins, a
// relative URL resolved against the source's own, with no .git file left
// in them unless the .git directory is kept; ?submodules=false leaves the
// submodule's directory empty; a submodule on a local path is refused.
func TestSubmodulesAreCheckedOutAtThePinnedCommitAsBuildKitDoes(t *testing.T) {
	dir := t.TempDir()
	submoduleRepos(t, dir)
	base := serve(t, dir, "")
	checkout := func(src Source) (string, error) {
		t.Helper()
		res, err := Resolve(context.Background(), src, Credentials{})
		if err != nil {
			t.Fatal(err)
		}
		tree, _, err := Checkout(context.Background(), src, res, Credentials{}, t.TempDir())
		return tree, err
	}
	for _, keep := range []bool{false, true} {
		tree, err := checkout(Source{Remote: base + "/app.git", Submodules: true, KeepGitDir: keep})
		if err != nil {
			t.Fatalf("keep %v: %v", keep, err)
		}
		if got, err := os.ReadFile(filepath.Join(tree, "vendor/lib/lib.txt")); string(got) != "pinned\n" {
			t.Errorf("keep %v: vendor/lib/lib.txt holds %q (%v), want the pinned commit's", keep, got, err)
		}
		if _, err := os.Lstat(filepath.Join(tree, "vendor/lib/.git")); keep == os.IsNotExist(err) {
			t.Errorf("keep %v: vendor/lib/.git: %v", keep, err)
		}
	}
	// A kept .git holds no credential of the URLs, the submodules' included.
	kept, err := checkout(Source{Remote: strings.Replace(base, "http://", "http://u:pw-9f3e@", 1) + "/app.git", Submodules: true, KeepGitDir: true})
	if err != nil {
		t.Fatal(err)
	}
	_ = filepath.WalkDir(filepath.Join(kept, ".git"), func(p string, d os.DirEntry, err error) error {
		if body, rerr := os.ReadFile(p); err == nil && !d.IsDir() && rerr == nil && strings.Contains(string(body), "pw-9f3e") {
			t.Errorf("%s holds the remote's password", p)
		}
		return nil
	})
	tree, err := checkout(Source{Remote: base + "/app.git"})
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := os.ReadDir(filepath.Join(tree, "vendor/lib")); err != nil || len(entries) != 0 {
		t.Errorf("without submodules, vendor/lib holds %v (%v), want an empty directory", entries, err)
	}
	if _, err := checkout(Source{Remote: base + "/evil.git", Submodules: true}); err == nil || !strings.Contains(err.Error(), "not local paths") {
		t.Errorf("a submodule at a local path: %v, want refused", err)
	}
}

// The source's token goes to a submodule only under the source's own URL,
// or anywhere on github.com for a source there (BuildKit's tokenScope);
// an ssh submodule gets the SSH key.
func TestSubmoduleCredentialsGoWhereBuildKitSendsThem(t *testing.T) {
	c := Credentials{Secrets: map[string]redact.Secret{"GIT_AUTH_TOKEN": "tok"}}
	for _, tc := range []struct {
		remote, sub string
		auth        bool
	}{
		{"https://github.com/o/app.git", "https://github.com/o/lib.git", true},
		{"https://github.com/o/app.git", "https://gitlab.com/o/lib.git", false},
		{"https://gitlab.com/o/app.git", "https://gitlab.com/o/lib.git", false},
		{"https://gitlab.com/o/app.git", "https://gitlab.com/o/app.git/sub.git", true},
		{"https://gitlab.com/o/app.git", "ssh://git@gitlab.com/o/lib.git", false}, // no SSH key given
	} {
		a, err := c.submoduleAuth(tc.remote, tc.sub)
		if err != nil || (a != nil) != tc.auth {
			t.Errorf("%s from %s: auth %v (%v), want %v", tc.sub, tc.remote, a, err, tc.auth)
		}
	}
	for rel, want := range map[string]string{
		"../lib.git":  "https://h/o/lib.git",
		"./sub/x.git": "https://h/o/app.git/sub/x.git",
		"../../p/q":   "https://h/p/q",
	} {
		if got, err := submoduleURL("https://h/o/app.git", rel); err != nil || got != want {
			t.Errorf("%s: %q (%v), want %q", rel, got, err, want)
		}
	}
	if got, err := submoduleURL("git@h:o/app.git", "../lib.git"); err != nil || got != "git@h:o/lib.git" {
		t.Errorf("relative to an scp-style remote: %q (%v)", got, err)
	}
}
