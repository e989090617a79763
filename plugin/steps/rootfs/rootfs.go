// Package rootfs changes a build root the way a step's mounts need, and
// puts it back exactly: paths are resolved with every symbolic link kept
// inside the root, entries in the way are renamed aside, and an undo log
// restores them and the modification times of the directories touched, so
// kaniko's snapshot after the step sees nothing of the mounts.
package rootfs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// maxLinks bounds symlink resolution, as the kernel's ELOOP does.
const maxLinks = 40

// Walk resolves p, an absolute path inside root, to a real path with
// every symlink (the last element included) resolved inside root, the way
// a chroot would: absolute links restart at root and ".." stops there. So
// an image whose /var/run links to /run never leads a test, or a Root
// other than "/", outside its root. mkdir, when not nil, creates each
// missing directory; otherwise a missing element is an error.
func Walk(root, p string, mkdir func(dir string) error) (string, error) {
	cur := root
	todo := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	for links := 0; len(todo) > 0; {
		name := todo[0]
		todo = todo[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if cur != root {
				cur = filepath.Dir(cur)
			}
			continue
		}
		next := filepath.Join(cur, name)
		fi, err := os.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist) && mkdir != nil:
			if err := mkdir(next); err != nil {
				return "", err
			}
		case err != nil:
			return "", err
		case fi.Mode()&fs.ModeSymlink != 0:
			if links++; links > maxLinks {
				return "", fmt.Errorf("%s: too many levels of symbolic links", p)
			}
			link, err := os.Readlink(next)
			if err != nil {
				return "", err
			}
			if path.IsAbs(link) {
				cur = root
			}
			todo = append(strings.Split(link, "/"), todo...)
			continue
		case !fi.IsDir() && len(todo) > 0:
			return "", fmt.Errorf("%s: %s is not a directory", p, name)
		}
		cur = next
	}
	return cur, nil
}

// State records what a step changed in the build root so that cleanup
// can put it back exactly: undo actions run last first, then the times of
// every pre-existing directory whose entries changed are restored, because
// kaniko's snapshot would otherwise record those directories as changed.
type State struct {
	root  string
	undo  []func() error
	times map[string]time.Time
}

// OnUndo registers f to run at cleanup.
func (f *State) OnUndo(fn func() error) { f.undo = append(f.undo, fn) }

// Created registers the removal of an entry the step created.
func (f *State) Created(real string) {
	f.OnUndo(func() error { return os.RemoveAll(real) })
}

// Touch remembers dir's modification time before its first change.
func (f *State) Touch(dir string) {
	if _, seen := f.times[dir]; seen {
		return
	}
	if fi, err := os.Lstat(dir); err == nil {
		f.times[dir] = fi.ModTime()
	}
}

// Place prepares the build-root path target for a new entry: missing
// parents are created (and removed at cleanup, unless the command left
// something in them, which then belongs to the layer), and an entry
// already there is renamed aside for the step and renamed back after. It
// returns the real path where the caller creates the entry.
func (f *State) Place(target string) (string, error) {
	target = path.Clean("/" + target)
	if target == "/" {
		return "", errors.New("cannot mount over /")
	}
	parent, err := Walk(f.root, path.Dir(target), func(dir string) error {
		f.Touch(filepath.Dir(dir))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		f.OnUndo(func() error { return removeEmpty(dir) })
		// A USER other than root must be able to reach the mount.
		return os.Chmod(dir, 0o755)
	})
	if err != nil {
		return "", err
	}
	real := filepath.Join(parent, path.Base(target))
	f.Touch(parent)
	if _, err := os.Lstat(real); err == nil {
		hidden, err := hiddenName(parent)
		if err != nil {
			return "", err
		}
		if err := os.Rename(real, hidden); err != nil {
			return "", err
		}
		f.OnUndo(func() error { return os.Rename(hidden, real) })
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return real, nil
}

// hiddenName returns an unused name in dir. 128 random bits make a clash
// with the image's files or a concurrent step impossible in practice; the
// Lstat catches the rest.
func hiddenName(dir string) (string, error) {
	for {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		p := filepath.Join(dir, ".kaniko-ecr-hidden-"+hex.EncodeToString(b))
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
	}
}

// Cleanup undoes everything recorded, even after a failure, and returns
// every error. Restoring a directory's time does not change its parent's.
func (f *State) Cleanup() error {
	var errs []error
	for i := len(f.undo) - 1; i >= 0; i-- {
		errs = append(errs, f.undo[i]())
	}
	f.undo = nil
	for d, mtime := range f.times {
		// A zero access time leaves it as it is.
		if err := os.Chtimes(d, time.Time{}, mtime); !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	clear(f.times)
	return errors.Join(errs...)
}

// removeEmpty removes a directory created for a mount unless the command
// wrote into it.
func removeEmpty(dir string) error {
	err := os.Remove(dir)
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
		return nil
	}
	return err
}

// Move renames src to dst, copying when they are on different file
// systems (the cache store may be a separate volume).
func Move(src, dst string) error {
	err := os.Rename(src, dst)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	if err := CopyTree(src, dst, false); err != nil {
		_ = os.RemoveAll(dst)
		return err
	}
	return os.RemoveAll(src)
}

// CopyTree copies src to dst keeping symlinks, modes, owners and
// modification times; with asRoot every copy is owned by 0:0 instead.
// Devices, pipes and sockets are skipped: a build context or cache has no
// use for them.
func CopyTree(src, dst string, asRoot bool) error {
	return CopyTreeSkipping(src, dst, asRoot, nil)
}

// CopyTreeSkipping is CopyTree leaving out every path of src (and what
// lies below a directory) for which skip, when not nil, reports true.
func CopyTreeSkipping(src, dst string, asRoot bool, skip func(path string, dir bool) bool) error {
	return CopyTreePruning(src, dst, asRoot, skip, nil)
}

// CopyTreePruning is CopyTreeSkipping that also leaves out each directory
// of src for which hidden reports true, unless something below it is
// copied: a directory .dockerignore leaves out, entered only because an
// exception may bring part of it back, is in BuildKit's context only as
// the parent of what does come back.
func CopyTreePruning(src, dst string, asRoot bool, skip func(path string, dir bool) bool, hidden func(path string) bool) error {
	type made struct {
		dst    string
		finish func() error
		hidden bool
	}
	var dirs []made
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip != nil && skip(p, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		finish, err := copyEntry(p, to, asRoot)
		if finish != nil {
			dirs = append(dirs, made{to, finish, hidden != nil && p != src && hidden(p)})
		}
		return err
	})
	// A directory's mode and times are set once its entries are written,
	// which would change its modification time; deepest first, so that a
	// hidden directory left empty goes before its parent is judged.
	for i := len(dirs) - 1; i >= 0; i-- {
		if dirs[i].hidden && os.Remove(dirs[i].dst) == nil {
			continue
		}
		err = errors.Join(err, dirs[i].finish())
	}
	return err
}

// copyEntry copies one file system entry; a directory's contents are
// copied by the caller's Walk, which calls the returned function after.
func copyEntry(src, dst string, asRoot bool) (func() error, error) {
	fi, err := os.Lstat(src)
	if err != nil {
		return nil, err
	}
	st := fi.Sys().(*syscall.Stat_t)
	mode, uid, gid := st.Mode&^syscall.S_IFMT, int(st.Uid), int(st.Gid)
	if asRoot {
		uid, gid = 0, 0
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		link, err := os.Readlink(src)
		if err == nil {
			err = os.Symlink(link, dst)
		}
		if err == nil {
			err = os.Lchown(dst, uid, gid)
		}
		return nil, err
	case fi.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return nil, err
		}
		return func() error {
			err := os.Lchown(dst, uid, gid)
			if err == nil {
				err = syscall.Chmod(dst, mode) // after chown, which clears set-id bits
			}
			if err == nil {
				err = os.Chtimes(dst, time.Time{}, fi.ModTime())
			}
			return err
		}, nil
	case fi.Mode().IsRegular():
		in, err := os.Open(src)
		if err != nil {
			return nil, err
		}
		defer in.Close()
		if err := WriteNew(dst, in, mode, uid, gid); err != nil {
			return nil, err
		}
		return nil, os.Chtimes(dst, time.Time{}, fi.ModTime())
	}
	return nil, nil
}

// WriteNew creates a file that must not exist, with content, owner and
// mode (set-id and sticky bits included, which os.FileMode would drop).
func WriteNew(p string, content io.Reader, mode uint32, uid, gid int) error {
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, content)
	if err == nil {
		err = out.Chown(uid, gid)
	}
	if err == nil {
		err = syscall.Fchmod(int(out.Fd()), mode)
	}
	return errors.Join(err, out.Close())
}

// NewState starts an empty undo log for root.
func NewState(root string) *State {
	return &State{root: root, times: map[string]time.Time{}}
}

// Root is the build root the state changes.
func (f *State) Root() string { return f.root }
