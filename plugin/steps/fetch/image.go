package fetch

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Registry is how images are pulled: Pull is the build's own retrieval
// (kaniko's, with its keychain, transport, platform, registry mirrors and
// maps), so a mounted image comes the way a base image does.
type Registry struct {
	Pull func(ref string) (v1.Image, error)
}

// ImageTree pulls ref and writes the files of its flattened file system
// under source (a clean absolute path) into dst, which must not exist:
// dst becomes source's copy, with owners, modes, links and times as in the
// image.
func (r Registry) ImageTree(ref, source, dst string) error {
	if r.Pull == nil {
		return fmt.Errorf("pulling %s: no registry access in this build", ref)
	}
	img, err := r.Pull(ref)
	if err != nil {
		return fmt.Errorf("pulling %s: %w", ref, err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := extract(tar.NewReader(rc), source, dst); err != nil {
		return fmt.Errorf("extracting %s from %s: %w", source, ref, err)
	}
	return nil
}

// extract writes the entries of a flattened image under source into dst.
func extract(tr *tar.Reader, source, dst string) error {
	prefix := strings.TrimPrefix(path.Clean("/"+source), "/")
	type dirTimes struct {
		p string
		t time.Time
	}
	var dirs []dirTimes
	found := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		rel, ok := under(prefix, h.Name)
		if !ok {
			continue
		}
		found = true
		p := filepath.Join(dst, rel)
		if !plainParents(dst, rel) {
			continue // under a link or file that replaced its directory
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeEntry(tr, h, p, dst, prefix); err != nil {
			return err
		}
		if h.Typeflag == tar.TypeDir {
			dirs = append(dirs, dirTimes{p, h.ModTime})
		}
	}
	if !found {
		return fmt.Errorf("%s: no such file or directory in the image", source)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Chtimes(dirs[i].p, time.Time{}, dirs[i].t)
	}
	return nil
}

// under is name's path relative to prefix, when it lies there.
func under(prefix, name string) (string, bool) {
	n := strings.TrimPrefix(path.Clean("/"+name), "/")
	if prefix == "" {
		return n, true
	}
	if n == prefix {
		return ".", true
	}
	rest, ok := strings.CutPrefix(n, prefix+"/")
	return rest, ok
}

// writeEntry creates one entry. A hard link names another entry of the
// image, which lies under dst only when it lies under prefix.
func writeEntry(tr *tar.Reader, h *tar.Header, p, dst, prefix string) error {
	mode := uint32(h.Mode) & 0o7777
	switch h.Typeflag {
	case tar.TypeDir:
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			_ = os.Remove(p)
		}
		if err := os.Mkdir(p, 0o700); err != nil && !os.IsExist(err) {
			return err
		}
		if err := os.Lchown(p, h.Uid, h.Gid); err != nil {
			return err
		}
		return syscall.Chmod(p, mode)
	case tar.TypeReg:
		_ = os.Remove(p)
		out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		if err == nil {
			err = out.Chown(h.Uid, h.Gid)
		}
		if err == nil {
			err = syscall.Fchmod(int(out.Fd()), mode)
		}
		if err = errors.Join(err, out.Close()); err != nil {
			return err
		}
		return os.Chtimes(p, time.Time{}, h.ModTime)
	case tar.TypeSymlink:
		_ = os.Remove(p)
		if err := os.Symlink(h.Linkname, p); err != nil {
			return err
		}
		return os.Lchown(p, h.Uid, h.Gid)
	case tar.TypeLink:
		rel, ok := under(prefix, h.Linkname)
		if !ok {
			return nil // its target is outside what is mounted
		}
		_ = os.Remove(p)
		return os.Link(filepath.Join(dst, rel), p)
	}
	return nil // devices and fifos have no use in a mount
}

// plainParents reports whether every existing parent of rel inside dst is
// a real directory, so that writing rel never follows a link out of dst.
func plainParents(dst, rel string) bool {
	cur := dst
	parts := strings.Split(filepath.Dir(rel), string(filepath.Separator))
	for _, part := range parts {
		if part == "." || part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		if errors.Is(err, os.ErrNotExist) {
			return true
		}
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}
