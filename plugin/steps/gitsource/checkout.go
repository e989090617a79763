package gitsource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Checkout checks res.Commit of src out under tmp, an empty directory
// the caller removes, and returns the directory to add (src.SubDir of
// the checkout) and the commit's time. The .git directory is in the
// tree only with src.KeepGitDir and no subdirectory, as in BuildKit: a
// shallow repository at the commit (HEAD detached), its origin the remote
// without credentials.
func Checkout(ctx context.Context, src Source, res Resolved, cred Credentials, tmp string) (tree string, when time.Time, err error) {
	sub := path.Clean("/" + src.SubDir)[1:]
	wt := filepath.Join(tmp, "tree")
	gitDir := filepath.Join(tmp, "git")
	if src.KeepGitDir && sub == "" {
		gitDir = filepath.Join(wt, ".git")
	}
	auth, err := cred.auth(src.Remote)
	if err != nil {
		return "", when, err
	}
	opts := &git.CloneOptions{URL: src.Remote, Auth: auth, NoCheckout: true, Tags: git.NoTags}
	if res.Name != "" {
		opts.ReferenceName, opts.SingleBranch, opts.Depth = plumbing.ReferenceName(res.Name), true, 1
	}
	repo, err := clone(ctx, gitDir, wt, opts)
	if err == nil && opts.Depth != 0 {
		if _, cerr := repo.CommitObject(plumbing.NewHash(res.Commit)); cerr != nil {
			// The ref moved since the build started: fetch it all and
			// check out the commit the build resolved.
			*opts = git.CloneOptions{URL: src.Remote, Auth: auth, NoCheckout: true}
			repo, err = clone(ctx, gitDir, wt, opts)
		}
	}
	if err != nil {
		return "", when, fmt.Errorf("fetching %s: %w", Public(src.Remote), err)
	}
	c, err := repo.CommitObject(plumbing.NewHash(res.Commit))
	if err != nil {
		return "", when, fmt.Errorf("%s has no commit %s: %w", Public(src.Remote), res.Commit, err)
	}
	w, err := repo.Worktree()
	if err == nil {
		err = w.Checkout(&git.CheckoutOptions{Hash: c.Hash, Force: true})
	}
	if err == nil && src.Submodules {
		err = submodules(ctx, repo, gitDir, src.Remote, cred, gitDir == filepath.Join(wt, ".git"), 0)
	}
	if err == nil && gitDir == filepath.Join(wt, ".git") {
		err = publicOrigin(repo, src.Remote)
	} else if err == nil {
		// go-git links a worktree to a git directory elsewhere with a
		// .git file, which BuildKit's tree does not have.
		err = os.Remove(filepath.Join(wt, ".git"))
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	if err != nil {
		return "", when, fmt.Errorf("checking out %s at %s: %w", Public(src.Remote), res.Commit, err)
	}
	if tree, err = subDir(wt, sub); err != nil {
		return "", when, fmt.Errorf("%s at %s: subdirectory %q: %w", Public(src.Remote), res.Commit, src.SubDir, err)
	}
	return tree, c.Committer.When, nil
}

// clone clones into a fresh git directory and worktree.
func clone(ctx context.Context, gitDir, wt string, opts *git.CloneOptions) (*git.Repository, error) {
	for _, d := range []string{gitDir, wt} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
	}
	st := filesystem.NewStorage(osfs.New(gitDir), cache.NewObjectLRUDefault())
	return git.CloneContext(ctx, st, osfs.New(wt), opts)
}

// publicOrigin leaves no credential of the remote's URL in a kept .git.
func publicOrigin(repo *git.Repository, remote string) error {
	cfg, err := repo.Config()
	if err != nil {
		return err
	}
	if o, ok := cfg.Remotes["origin"]; ok {
		o.URLs = []string{Public(remote)}
	}
	return repo.SetConfig(cfg)
}

// subDir is sub of the checkout, which must be a directory reached
// through directories only (no symlink), as BuildKit requires.
func subDir(wt, sub string) (string, error) {
	p := wt
	for _, part := range strings.Split(sub, "/") {
		if part == "" {
			continue
		}
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if err != nil {
			return "", err
		}
		if !fi.IsDir() {
			return "", errors.New("not a directory")
		}
	}
	return p, nil
}
