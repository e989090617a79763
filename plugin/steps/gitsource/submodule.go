package gitsource

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// maxSubmoduleDepth bounds the recursion into submodules of submodules,
// as go-git's default does.
const maxSubmoduleDepth = int(git.DefaultSubmoduleRecursionDepth)

// submodules checks out the submodules that r's checked-out commit
// records, at the commits it records and recursively, each fetched at
// depth 1: BuildKit's `git submodule update --init --recursive
// --depth=1`. remote is where r came from; relative submodule URLs
// resolve against it. Without keep, the .git file each submodule's
// worktree gets is removed, as the checkout's own is; with it, the kept
// configurations name each submodule's URL without credentials.
func submodules(ctx context.Context, r *git.Repository, gitDir, remote string, cred Credentials, keep bool, level int) error {
	w, err := r.Worktree()
	if err != nil {
		return err
	}
	subs, err := w.Submodules()
	if err != nil {
		return fmt.Errorf("reading .gitmodules: %w", err)
	}
	for _, sm := range subs {
		c := sm.Config()
		u, err := submoduleURL(remote, c.URL)
		if err != nil {
			return fmt.Errorf("submodule %s: %w", c.Path, err)
		}
		auth, err := cred.submoduleAuth(remote, u)
		if err != nil {
			return fmt.Errorf("submodule %s: %w", c.Path, err)
		}
		c.URL = u
		if !filepath.IsLocal(c.Name) {
			// The name comes from the repository's .gitmodules and
			// names a directory under the git directory.
			return fmt.Errorf("submodule %s: name %q is not a relative path", c.Path, c.Name)
		}
		modDir := filepath.Join(gitDir, "modules", c.Name)
		if err := update(ctx, sm, modDir, auth); err != nil {
			return fmt.Errorf("submodule %s (%s): %w", c.Path, Public(u), err)
		}
		sr, err := sm.Repository()
		if err != nil {
			return fmt.Errorf("submodule %s: %w", c.Path, err)
		}
		if level+1 < maxSubmoduleDepth {
			if err := submodules(ctx, sr, modDir, u, cred, keep, level+1); err != nil {
				return fmt.Errorf("submodule %s: %w", c.Path, err)
			}
		}
		if keep {
			err = publicOrigin(sr, u)
		} else if err = os.Remove(filepath.Join(w.Filesystem.Root(), c.Path, ".git")); os.IsNotExist(err) {
			err = nil
		}
		if err != nil {
			return fmt.Errorf("submodule %s: %w", c.Path, err)
		}
	}
	if keep && len(subs) > 0 {
		return publicSubmodules(r)
	}
	return nil
}

// publicSubmodules leaves no credential of the submodules' URLs in r's
// kept configuration.
func publicSubmodules(r *git.Repository) error {
	cfg, err := r.Config()
	if err != nil {
		return err
	}
	for _, sm := range cfg.Submodules {
		sm.URL = Public(sm.URL)
	}
	return r.SetConfig(cfg)
}

// update checks sm out at the commit its parent pins, fetched at depth 1.
// A commit that is no branch's tip is not in that fetch, and a server
// that does not give a commit by id (git's protocol v0 without
// uploadpack.allowReachableSHA1InWant) cannot add it: then the
// submodule is fetched again whole, into a fresh git directory (modDir).
func update(ctx context.Context, sm *git.Submodule, modDir string, auth transport.AuthMethod) error {
	err := sm.UpdateContext(ctx, &git.SubmoduleUpdateOptions{Init: true, Depth: 1, Auth: auth})
	if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return err
	}
	if err := os.RemoveAll(modDir); err != nil {
		return err
	}
	return sm.UpdateContext(ctx, &git.SubmoduleUpdateOptions{Init: true, Auth: auth})
}

// submoduleURL is where a submodule of the repository at remote is
// fetched from: a relative URL (./ or ../) resolves against remote, and
// any other must name an http(s), ssh or git remote. Git itself refuses
// local paths and file:// for submodules unless told otherwise
// (protocol.file.allow, since 2.38.1): a repository's .gitmodules must
// not reach the build machine's own files.
func submoduleURL(remote, u string) (string, error) {
	if strings.HasPrefix(u, "./") || strings.HasPrefix(u, "../") {
		return relativeURL(remote, u)
	}
	ep, err := transport.NewEndpoint(u)
	if err != nil {
		return "", fmt.Errorf("URL %q: %w", u, err)
	}
	switch ep.Protocol {
	case "http", "https", "ssh", "git":
		return u, nil
	}
	return "", fmt.Errorf("URL %q: only http(s), ssh and git remotes are fetched, not local paths", u)
}

// relativeURL resolves rel against the path of remote, which may be a
// URL or ssh's user@host:path form.
func relativeURL(remote, rel string) (string, error) {
	if pu, err := url.Parse(remote); err == nil && pu.Scheme != "" && pu.Host != "" {
		pu.Path = path.Join(pu.Path, rel)
		return pu.String(), nil
	}
	if host, p, ok := strings.Cut(remote, ":"); ok && !strings.Contains(host, "/") {
		return host + ":" + path.Join(p, rel), nil
	}
	return "", fmt.Errorf("URL %q: cannot be resolved against %s", rel, Public(remote))
}

// submoduleAuth is what a submodule at u is fetched with, for a source at
// remote, as BuildKit sends it: the token or header of an http(s) source
// only to URLs under the source's own (or, for a source on github.com,
// under https://github.com/), and the SSH key to any ssh URL. Anything
// else is fetched anonymously.
func (c Credentials) submoduleAuth(remote, u string) (transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(u)
	if err != nil {
		return nil, err
	}
	if ep.Protocol == "ssh" {
		return c.auth(u)
	}
	if strings.HasPrefix(u, tokenScope(remote)) {
		return c.auth(remote)
	}
	return nil, nil
}

// tokenScope is the URL prefix an http(s) source's credentials go to.
func tokenScope(remote string) string {
	for _, pfx := range []string{"https://github.com/", "https://www.github.com/"} {
		if strings.HasPrefix(remote, pfx) {
			return pfx
		}
	}
	return remote
}
