package gitsource

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/owner"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/rootfs"
)

// Owner is what ADD gives every file of the tree it adds.
type Owner struct {
	UID, GID int
	// Mode is --chmod; nil: git's modes (0644, 0755 for executables and
	// directories).
	Mode *uint32
	// MTime is every entry's modification time.
	MTime time.Time
}

// Place copies the tree's content into dst, an existing directory, as
// BuildKit's copy of a git source does: entries of dst that the tree
// also has are replaced (directories merged), each copied entry gets o.
func Place(tree, dst string, o Owner) error {
	var dirs []string
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == tree {
			return err
		}
		rel, err := filepath.Rel(tree, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			dirs = append(dirs, target)
			return mkdirOver(target)
		}
		if err := removeNonDir(target); err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err == nil {
				err = os.Symlink(link, target)
			}
			if err == nil {
				err = os.Lchown(target, o.UID, o.GID)
			}
			if err == nil {
				ts := unix.NsecToTimespec(o.MTime.UnixNano())
				err = unix.UtimesNanoAt(unix.AT_FDCWD, target, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
			}
			return err
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			mode := uint32(0o644)
			if fi.Mode()&0o100 != 0 {
				mode = 0o755
			}
			return writeFile(p, target, o.mode(mode), o)
		}
		return nil
	})
	// A directory's owner, mode and time are set once its entries are in.
	for i := len(dirs) - 1; i >= 0 && err == nil; i-- {
		err = setDir(dirs[i], o)
	}
	return err
}

func (o Owner) mode(def uint32) uint32 {
	if o.Mode != nil {
		return *o.Mode
	}
	return def
}

// mkdirOver makes target a directory, keeping one that is there.
func mkdirOver(target string) error {
	fi, err := os.Lstat(target)
	if err == nil && fi.IsDir() {
		return nil
	}
	if err := removeNonDir(target); err != nil {
		return err
	}
	return os.Mkdir(target, 0o700)
}

// removeNonDir removes what is at target unless it is a directory, which
// a file of the tree cannot replace.
func removeNonDir(target string) error {
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", target)
	}
	return os.Remove(target)
}

func setDir(dir string, o Owner) error {
	err := os.Lchown(dir, o.UID, o.GID)
	if err == nil {
		err = syscall.Chmod(dir, o.mode(0o755))
	}
	if err == nil {
		err = os.Chtimes(dir, o.MTime, o.MTime)
	}
	return err
}

func writeFile(src, dst string, mode uint32, o Owner) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chown(o.UID, o.GID)
	}
	if err == nil {
		err = syscall.Fchmod(int(out.Fd()), mode)
	}
	if err = errors.Join(err, out.Close()); err == nil {
		err = os.Chtimes(dst, o.MTime, o.MTime)
	}
	return err
}

// Destination reads ADD's --chmod and --chown (names looked up in the
// build root's passwd and group files) and returns the real path of the
// directory target of root, created as needed, with what its files get
// (their time: now).
func Destination(root, target, chmod, chown string, lookup owner.LookupFunc) (string, Owner, error) {
	var o Owner
	if chmod != "" {
		m, err := owner.ParseChmod(chmod)
		if err != nil {
			return "", o, err
		}
		o.Mode = &m
	}
	var err error
	if o.UID, o.GID, err = owner.ParseChown(chown, lookup); err != nil {
		return "", o, err
	}
	o.MTime = time.Now()
	dir, err := rootfs.Walk(root, target, o.mkdir)
	if err != nil {
		return "", o, fmt.Errorf("destination %s: %w", target, err)
	}
	return dir, o, nil
}

// mkdir creates a missing directory of the destination (or a parent),
// with the --chown owner and the --chmod mode as in BuildKit; one that
// exists keeps both.
func (o Owner) mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	if err := os.Lchown(dir, o.UID, o.GID); err != nil {
		return err
	}
	return syscall.Chmod(dir, o.mode(0o755))
}
