package steps

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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
	mode, err := parseChmod(chmod)
	if chmod == "" {
		mode = defMode
	}
	if err != nil {
		return err
	}
	uid, gid, err := parseChown(chown, se.lookup)
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

// parseChmod reads --chmod: octal only, as the front end checks before
// variables are expanded.
func parseChmod(s string) (uint32, error) {
	if s == "" {
		return 0o644, nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		return 0, fmt.Errorf("--chmod=%s: want an octal mode up to 7777", s)
	}
	return uint32(v), nil
}

// lookupFunc returns the fields of name's entry in the build root's
// /etc/passwd or /etc/group (db).
type lookupFunc func(db, name string) ([]string, error)

// parseChown reads --chown=user[:group] the way BuildKit does: numbers
// are ids, "root" is 0, other names come from the image; a user alone
// brings its primary group (a numeric one, the same number). Unlike
// BuildKit, an unknown name is an error rather than root.
func parseChown(s string, lookup lookupFunc) (uid, gid int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	user, group, hasGroup := strings.Cut(s, ":")
	if user == "" || hasGroup && group == "" {
		return 0, 0, fmt.Errorf("--chown=%s: want user[:group]", s)
	}
	if n, ok := number(user); ok {
		uid, gid = n, n
	} else {
		f, err := lookup("passwd", user)
		if err != nil {
			return 0, 0, fmt.Errorf("--chown=%s: %w", s, err)
		}
		if uid, ok = number(f[2]); !ok {
			return 0, 0, fmt.Errorf("--chown=%s: bad uid for %q in /etc/passwd", s, user)
		}
		if gid, ok = number(f[3]); !ok {
			return 0, 0, fmt.Errorf("--chown=%s: bad gid for %q in /etc/passwd", s, user)
		}
	}
	if !hasGroup {
		return uid, gid, nil
	}
	if n, ok := number(group); ok {
		return uid, n, nil
	}
	f, err := lookup("group", group)
	if err != nil {
		return 0, 0, fmt.Errorf("--chown=%s: %w", s, err)
	}
	if gid, ok := number(f[2]); ok {
		return uid, gid, nil
	}
	return 0, 0, fmt.Errorf("--chown=%s: bad gid for %q in /etc/group", s, group)
}

// number reads a uid or gid.
func number(s string) (int, bool) {
	if s == "root" {
		return 0, true
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return int(n), err == nil
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
	return findEntry(f, db, name)
}

// findEntry scans a passwd or group file for name.
func findEntry(r io.Reader, db, name string) ([]string, error) {
	want := 4 // name:password:uid:gid
	if db == "group" {
		want = 3 // name:password:gid
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= want && f[0] == name {
			return f, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("no %q in /etc/%s", name, db)
}
