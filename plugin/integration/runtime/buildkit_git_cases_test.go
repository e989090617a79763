package runtime

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// gitToken is the GIT_AUTH_TOKEN build secret the git server wants.
const gitToken = "GITTOKEN-3c7a9e1b"

var (
	gitOnce sync.Once
	gitURL  string
)

// gitServer serves a repository over git's smart HTTP on loopback (git
// http-backend under net/http/cgi) to both builders: a master branch whose
// files have git's two modes, a symlink and a nested directory, and an
// annotated tag v1 on an older commit. It wants gitToken as
// x-access-token's password, as BuildKit sends the GIT_AUTH_TOKEN secret
// (its scheme in lower case: "basic"). It also serves app.git, whose
// submodule vendor/lib is the public lib.git, at "../lib.git" and pinned
// to a commit that is not lib's tip (submoduleRepos).
func gitServer() string {
	gitOnce.Do(func() {
		dir, err := os.MkdirTemp(tmpDir, "git-")
		if err != nil {
			panic(err)
		}
		work := filepath.Join(dir, "work")
		run := func(args ...string) string {
			cmd := exec.Command("git", args...)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
			out, err := cmd.CombinedOutput()
			if err != nil {
				panic(fmt.Sprintf("git %v: %v\n%s", args, err, out))
			}
			return strings.TrimSpace(string(out))
		}
		files := map[string]string{"README": "old\n", "sub/deep/file": "deep\n", "sub/tool.sh": "#!/bin/sh\n", "run.sh": "#!/bin/sh\necho run\n"}
		for p, body := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(work, p)), 0o755); err != nil {
				panic(err)
			}
			mode := os.FileMode(0o600)
			if strings.HasSuffix(p, ".sh") {
				mode = 0o700
			}
			if err := os.WriteFile(filepath.Join(work, p), []byte(body), mode); err != nil {
				panic(err)
			}
		}
		if err := os.Symlink("sub/deep/file", filepath.Join(work, "link")); err != nil {
			panic(err)
		}
		run("init", "-q", "-b", "master") // the engine's BuildKit takes master for HEAD
		run("add", "-A")
		run("commit", "-q", "-m", "one")
		run("tag", "-a", "-m", "v1", "v1")
		if err := os.WriteFile(filepath.Join(work, "README"), []byte("new\n"), 0o644); err != nil {
			panic(err)
		}
		run("commit", "-q", "-am", "two")
		run("clone", "-q", "--bare", work, filepath.Join(dir, "repo.git"))
		submoduleRepos(dir, run)
		backend := filepath.Join(run("--exec-path"), "git-http-backend")
		h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"}}
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+gitToken))
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		go func() {
			_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				public := strings.HasPrefix(r.URL.Path, "/lib.git/")
				if !public && !strings.EqualFold(r.Header.Get("Authorization"), want) {
					w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
					http.Error(w, "authentication required", http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(w, r)
			}))
		}()
		gitURL = "http://" + l.Addr().String() + "/repo.git"
	})
	return gitURL
}

// bkGit adds a private repository in each form: the default branch, a
// tag with --chown, the query form, and a kept .git (whose HEAD is
// compared, then removed: the object files are each builder's own). A
// subdirectory (#ref:dir, ?subdir=) and ssh are compared in
// plugin/integration with buildkitd of go.mod's version: the engine's
// BuildKit refuses a subdirectory ("subdir not supported yet") and reads
// ssh://... as a host named ssh.
const bkGit = `ARG BASE
FROM ${BASE}
ADD %[1]s /src
ADD --chown=1000:1000 %[1]s#v1 /tag/
ADD "%[1]s?ref=refs/tags/v1" /query
ADD --keep-git-dir %[1]s#master /kept
RUN cat /kept/.git/HEAD > /kept.head && rm -rf /kept/.git
`

// bkGitSubmodules adds a repository with a submodule (%[2]s: BuildKit
// fetches submodules unless ?submodules=false). BuildKit sends the token
// only to the source's own URL, so the public submodule is fetched
// without it. One ADD per build: buildkitd v0.30.0 panics on a second
// source of the same remote in one build (a nil entry in its git
// resolver cache, source/git/source.go:611).
const bkGitSubmodules = `ARG BASE
FROM ${BASE}
ADD "%[1]s%[2]s" /app
`

func gitCases() []bkCase {
	url := gitServer()
	app := strings.TrimSuffix(url, "/repo.git") + "/app.git"
	return []bkCase{
		{name: "git", dockerfile: fmt.Sprintf(bkGit, url), secrets: map[string]string{"GIT_AUTH_TOKEN": gitToken}},
		{
			name: "git-submodules", dockerfile: fmt.Sprintf(bkGitSubmodules, app, ""), secrets: map[string]string{"GIT_AUTH_TOKEN": gitToken}, current: true,
			differ: map[string]string{"app/vendor/lib/.git": "BuildKit's checkout leaves the submodule's .git file, which points into BuildKit's own cache; kaniko-ecr's leaves none"},
		},
		{name: "git-submodules-off", dockerfile: fmt.Sprintf(bkGitSubmodules, app, "?submodules=false"), secrets: map[string]string{"GIT_AUTH_TOKEN": gitToken}, current: true},
	}
}

// submoduleRepos makes lib.git, with a newer commit than the one app.git
// pins (and uploadpack.allowReachableSHA1InWant, as GitHub and GitLab
// have, for git's own fetch of that commit by id), and app.git.
func submoduleRepos(dir string, run func(args ...string) string) {
	write := func(p, body string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			panic(err)
		}
	}
	lib, app := filepath.Join(dir, "libwork"), filepath.Join(dir, "appwork")
	write(filepath.Join(lib, "lib.txt"), "pinned\n")
	run("-C", lib, "init", "-q", "-b", "master")
	run("-C", lib, "add", "-A")
	run("-C", lib, "commit", "-q", "-m", "pinned")
	pinned := run("-C", lib, "rev-parse", "HEAD")
	write(filepath.Join(lib, "lib.txt"), "newer\n")
	run("-C", lib, "commit", "-q", "-am", "newer")
	run("clone", "-q", "--bare", lib, filepath.Join(dir, "lib.git"))
	run("-C", filepath.Join(dir, "lib.git"), "config", "uploadpack.allowReachableSHA1InWant", "true")
	write(filepath.Join(app, "README"), "app\n")
	write(filepath.Join(app, ".gitmodules"), "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib.git\n")
	run("-C", app, "init", "-q", "-b", "master")
	run("-C", app, "update-index", "--add", "--cacheinfo", "160000,"+pinned+",vendor/lib")
	run("-C", app, "add", "README", ".gitmodules")
	run("-C", app, "commit", "-q", "-m", "app")
	run("clone", "-q", "--bare", app, filepath.Join(dir, "app.git"))
}
