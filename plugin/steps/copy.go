package steps

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/owner"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/rootfs"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// newFile is one file a COPY or ADD step creates: its name in a
// destination directory and its content.
type newFile struct {
	name    string
	content func() (io.ReadCloser, error)
	modTime time.Time // zero: now
}

// copyHeredocs creates the files of a COPY or ADD of heredocs. Unlike
// mounts they stay: they are the layer's content.
func (se *session) copyHeredocs() error {
	var files []newFile
	for _, h := range se.step.Heredocs {
		content := h.Content()
		if h.Expand {
			var err error
			if content, err = se.raw(content); err != nil {
				return fmt.Errorf("heredoc %s: %w", h.Name, err)
			}
		}
		files = append(files, newFile{name: h.Name, content: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }})
	}
	return se.writeFiles(files, 0o644)
}

// writeFiles creates files at the step's destination as COPY and ADD do:
// into a directory when Dest ends in "/", names several files or is an
// existing directory, else as Dest itself. defMode applies without
// --chmod.
func (se *session) writeFiles(files []newFile, defMode uint32) error {
	dest, chmod, chown := se.step.Dest, se.step.Chmod, se.step.Chown
	if err := se.expand(&dest, &chmod, &chown); err != nil {
		return err
	}
	mode, err := owner.ParseChmod(chmod)
	if chmod == "" {
		mode = defMode
	}
	if err != nil {
		return err
	}
	uid, gid, err := owner.ParseChown(chown, se.lookup)
	if err != nil {
		return err
	}
	target := se.path(dest)
	intoDir := strings.HasSuffix(dest, "/") || len(files) > 1
	if real, err := rootfs.Walk(se.fs.Root(), target, nil); err == nil && !intoDir {
		fi, err := os.Stat(real)
		intoDir = err == nil && fi.IsDir()
	}
	dirPath := target
	if !intoDir {
		dirPath = path.Dir(target)
	}
	// New directories belong to the --chown owner, as in BuildKit.
	dir, err := rootfs.Walk(se.fs.Root(), dirPath, func(d string) error {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
		if err := os.Lchown(d, uid, gid); err != nil {
			return err
		}
		return os.Chmod(d, 0o755)
	})
	if err != nil {
		return fmt.Errorf("destination %s: %w", dest, err)
	}
	for _, f := range files {
		name := path.Base(target)
		if intoDir {
			name = f.name
		}
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
			return fmt.Errorf("%q cannot be a file name", f.name)
		}
		r, err := f.content()
		if err == nil {
			err = replaceFile(filepath.Join(dir, name), r, mode, uid, gid, f.modTime)
			r.Close()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// raw expands variables in a heredoc body the way BuildKit does for COPY:
// escape character always \, quotes left as they are.
func (se *session) raw(s string) (string, error) {
	lex := shell.NewLex('\\')
	lex.SkipProcessQuotes = true
	out, _, err := lex.ProcessWord(s, se.vars)
	return out, err
}

// replaceFile writes a COPY destination, replacing a file or symlink that
// is there rather than writing through it.
func replaceFile(p string, content io.Reader, mode uint32, uid, gid int, modTime time.Time) error {
	fi, err := os.Lstat(p)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%s is a directory", p)
	case err == nil:
		err = os.Remove(p)
	case errors.Is(err, fs.ErrNotExist):
		err = nil
	}
	if err == nil {
		err = rootfs.WriteNew(p, content, mode, uid, gid)
	}
	if err == nil && !modTime.IsZero() {
		err = os.Chtimes(p, modTime, modTime)
	}
	return err
}

// lookup reads /etc/passwd or /etc/group of the build root.
func (se *session) lookup(db, name string) ([]string, error) {
	real, err := rootfs.Walk(se.fs.Root(), "/etc/"+db, nil)
	if err != nil {
		return nil, fmt.Errorf("no %q in /etc/%s: %w", name, db, err)
	}
	f, err := os.Open(real)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return owner.FindEntry(f, db, name)
}
