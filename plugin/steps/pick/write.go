package pick

import (
	"crypto/sha256"
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

	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/owner"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/rootfs"
)

// Target is where a COPY writes: Dest as written (variables expanded),
// relative to Cwd when not absolute, in the build root Root.
type Target struct {
	Root, Cwd, Dest string
	// Chmod and Chown are the flags as written ("" when not given);
	// Lookup reads the build root's /etc/passwd and /etc/group for them.
	Chmod, Chown string
	Lookup       owner.LookupFunc
}

// Copy selects s in t and writes it to dst as BuildKit does.
func (t Tree) Copy(s Spec, dst Target) error {
	ms, err := t.Select(s)
	if err != nil {
		return err
	}
	return dst.Write(ms, t.AsRoot)
}

// Digest stands for what the matches copy: the paths and types, modes,
// link targets and contents, in order.
func Digest(ms []Match) (string, error) {
	h := sha256.New()
	add := func(name, real string, dir, parent bool) error {
		fi, err := os.Lstat(real)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%t\x00%t\x00%o\x00", name, dir, parent, fi.Mode())
		return HashEntry(h, real, fi.Mode())
	}
	for _, m := range ms {
		if err := add(m.Name, m.Real, m.Dir, false); err != nil {
			return "", err
		}
		for _, n := range m.Nodes {
			if err := add(n.Rel, n.Real, false, n.Parent); err != nil {
				return "", err
			}
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// owners is how a copy sets modes and owners.
type owners struct {
	chmod    func(fs.FileMode) uint32 // nil without --chmod
	dirMode  uint32                   // of the directories the copy creates
	uid, gid int
	chown    bool
	asRoot   bool
}

// Write writes the matches to the target, as BuildKit's copy does:
// directories merge, files and links replace what is there (a directory in
// the way is an error), modes and modification times come from the source
// (every mode is --chmod's when given), owners too unless --chown names
// them or asRoot makes them 0:0.
func (dst Target) Write(ms []Match, asRoot bool) error {
	var o owners
	var err error
	if o.chmod, o.dirMode, err = chmodOf(dst.Chmod); err != nil {
		return err
	}
	if o.chown = dst.Chown != ""; o.chown {
		if o.uid, o.gid, err = owner.ParseChown(dst.Chown, dst.Lookup); err != nil {
			return err
		}
	}
	o.asRoot = asRoot
	dest := dst.Dest
	if !path.IsAbs(dest) {
		dest = path.Join(dst.Cwd, dest)
	}
	intoDir := strings.HasSuffix(dst.Dest, "/") || path.Base(dst.Dest) == "." || path.Base(dst.Dest) == ".."
	if intoDir {
		// BuildKit creates a destination that ends in "/" even when
		// nothing is copied.
		if _, err := rootfs.Walk(dst.Root, dest, o.mkdir); err != nil {
			return fmt.Errorf("destination %s: %w", dst.Dest, err)
		}
	}
	for _, m := range ms {
		if err := o.write(dst.Root, dest, intoDir, m); err != nil {
			return err
		}
	}
	return nil
}

// mkdir creates a directory of the destination's path: 0755 (an octal
// --chmod's mode when given), owned by --chown's owner or root.
func (o owners) mkdir(d string) error {
	if err := os.Mkdir(d, 0o700); err != nil {
		return err
	}
	uid, gid := o.owner(0, 0)
	if err := os.Lchown(d, uid, gid); err != nil {
		return err
	}
	return syscall.Chmod(d, o.dirMode)
}

func (o owners) owner(uid, gid int) (int, int) {
	switch {
	case o.chown:
		return o.uid, o.gid
	case o.asRoot:
		return 0, 0
	}
	return uid, gid
}

// write copies one match.
func (o owners) write(root, dest string, intoDir bool, m Match) error {
	if !m.Dir {
		target, err := rootfs.Walk(root, dest, nil)
		if err == nil {
			fi, serr := os.Stat(target)
			intoDir = intoDir || serr == nil && fi.IsDir()
		}
		dir := dest
		if !intoDir {
			dir = path.Dir(dest)
		}
		real, err := rootfs.Walk(root, dir, o.mkdir)
		if err != nil {
			return fmt.Errorf("destination %s: %w", dir, err)
		}
		name := m.Name
		if !intoDir {
			name = path.Base(dest)
		}
		fi, err := os.Stat(m.Real)
		if err != nil {
			return err
		}
		_, err = o.entry(filepath.Join(real, name), m.Real, fi, false)
		return err
	}
	real, err := rootfs.Walk(root, dest, o.mkdir)
	if err != nil {
		return fmt.Errorf("destination %s: %w", dest, err)
	}
	var finish []func() error
	for _, n := range m.Nodes {
		f, err := o.entry(filepath.Join(real, filepath.FromSlash(n.Rel)), n.Real, n.Info, n.Parent)
		if err != nil {
			return err
		}
		if f != nil {
			finish = append(finish, f)
		}
	}
	// A directory's mode and times are set once its entries are written.
	for i := len(finish) - 1; i >= 0; i-- {
		err = errors.Join(err, finish[i]())
	}
	return err
}

// entry creates one entry at target from src (fi is its Lstat, or its Stat
// for a followed source). A directory's metadata is set by the function
// returned, after its entries.
func (o owners) entry(target, src string, fi fs.FileInfo, parent bool) (func() error, error) {
	st := fi.Sys().(*syscall.Stat_t)
	mode := st.Mode &^ syscall.S_IFMT
	if o.chmod != nil {
		mode = o.chmod(fi.Mode())
	}
	uid, gid := o.owner(int(st.Uid), int(st.Gid))
	old, err := os.Lstat(target)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if fi.IsDir() {
		if exists && !old.IsDir() {
			return nil, fmt.Errorf("cannot copy to non-directory: %s", target)
		}
		if !exists {
			if err := os.Mkdir(target, 0o700); err != nil {
				return nil, err
			}
		}
		return func() error {
			if !parent || !exists {
				if err := os.Lchown(target, uid, gid); err != nil {
					return err
				}
			}
			if err := syscall.Chmod(target, mode); err != nil { // after chown, which clears set-id bits
				return err
			}
			return os.Chtimes(target, time.Time{}, fi.ModTime())
		}, nil
	}
	if exists && old.IsDir() {
		return nil, fmt.Errorf("cannot replace the directory %s with a file", target)
	}
	if exists {
		if err := os.Remove(target); err != nil {
			return nil, err
		}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		link, err := os.Readlink(src)
		if err == nil {
			err = os.Symlink(link, target)
		}
		if err == nil {
			err = os.Lchown(target, uid, gid)
		}
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil // devices, pipes and sockets are not copied here
	}
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if err := rootfs.WriteNew(target, in, mode, uid, gid); err != nil {
		return nil, err
	}
	return nil, os.Chtimes(target, time.Time{}, fi.ModTime())
}

// HashEntry writes what the entry at path holds into h, for a digest: a
// link's target or a regular file's content (nothing for others), then a
// NUL.
func HashEntry(h io.Writer, path string, mode fs.FileMode) error {
	switch {
	case mode&fs.ModeSymlink != 0:
		link, err := os.Readlink(path)
		if err != nil {
			return err
		}
		io.WriteString(h, link)
	case mode.IsRegular():
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	_, err := h.Write([]byte{0})
	return err
}
