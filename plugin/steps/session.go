package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/mounts"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/rootfs"
)

// session is one step being served.
type session struct {
	srv    *Server
	step   dockerfile.Step
	vars   shell.EnvGetter // the peer's environment, for expansion
	cwd    string          // the peer's working directory in the build root
	lex    *shell.Lex
	fs     *rootfs.State
	args   []string // what the client executes
	env    []string // added to the command's environment
	caches map[string]bool
}

// newSession reads what kaniko gave the peer: its environment (the stage's
// ENV and build args, for expansion) and working directory (WORKDIR).
func (s *Server) newSession(step dockerfile.Step, pid int, req request) (*session, error) {
	proc := s.cfg.proc
	if proc == nil {
		proc = procInfo
	}
	env, cwd, err := proc(pid)
	if errors.Is(err, fs.ErrPermission) {
		// The peer passed the checks on its command line and parent; its
		// own word on its environment only shapes its own step.
		env, cwd, err = req.Env, req.Dir, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the step's environment: %w", err)
	}
	if cwd, err = inRoot(s.cfg.Root, cwd); err != nil {
		return nil, err
	}
	esc := '\\'
	if r := []rune(step.Escape); len(r) == 1 {
		esc = r[0]
	}
	return &session{
		srv: s, step: step, vars: shell.EnvsFromSlice(env), cwd: cwd, lex: shell.NewLex(esc),
		fs: rootfs.NewState(s.cfg.Root), args: slices.Clone(step.Args), caches: map[string]bool{},
	}, nil
}

// cleanup takes the step down; a second call has nothing left to do.
func (se *session) cleanup() error {
	err := se.fs.Cleanup()
	logrus.Debugf("steps: step %s taken down (error: %v)", se.step.ID, err)
	return err
}

// setup sets the step up, leaving in se.fs what cleanup must undo.
func (se *session) setup() error {
	switch se.step.Kind {
	case "copy":
		return se.copyHeredocs()
	case "add":
		return se.addChecksum()
	case "keep":
		return se.keep()
	case "pick":
		return se.pick()
	case "context":
		return rootfs.Fill(filepath.Join(se.srv.cfg.Root, se.step.Dest), se.step.Dir, se.step.Excludes)
	case "git":
		return se.addGit()
	case "run":
	default:
		return fmt.Errorf("unknown step kind %q", se.step.Kind)
	}
	ssh := 0
	for _, m := range se.step.Mounts {
		if err := se.mount(m, &ssh); err != nil {
			return err
		}
	}
	if se.step.Script == "" {
		return nil
	}
	if len(se.step.Heredocs) == 0 {
		return errors.New("the step has a script but no heredoc")
	}
	dst, err := se.fs.Place(se.path(se.step.Script))
	if err == nil {
		se.fs.Created(dst)
		err = rootfs.WriteNew(dst, strings.NewReader(se.step.Heredocs[0].Content()), 0o755, 0, 0)
	}
	if err != nil {
		return fmt.Errorf("writing the heredoc script %s: %w", se.step.Script, err)
	}
	// The client must execute the file where it really is (Root differs
	// from "/" only in tests).
	if len(se.args) > 0 && se.args[0] == se.step.Script {
		se.args[0] = dst
	}
	return nil
}

// expand expands variables in mount options or COPY flags in place, as
// BuildKit does with the stage's ARG and ENV values.
func (se *session) expand(words ...*string) error {
	for _, w := range words {
		v, _, err := se.lex.ProcessWord(*w, se.vars)
		if err != nil {
			return err
		}
		*w = v
	}
	return nil
}

// path makes a step path absolute in the build root; a relative one is
// relative to the working directory.
func (se *session) path(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(se.cwd, p)
}

// mount expands a mount's options and sets it up; nssh counts the ssh
// mounts, the first of which SSH_AUTH_SOCK names.
func (se *session) mount(m dockerfile.Mount, nssh *int) error {
	if err := se.expand(&m.Target, &m.Source, &m.ID, &m.Env); err != nil {
		return fmt.Errorf("%s mount: %w", m.Type, err)
	}
	// Options whose variables only the base image's ENV defines.
	for _, f := range m.Deferred {
		k, v, _ := strings.Cut(f, "=")
		if err := se.expand(&v); err != nil {
			return fmt.Errorf("%s mount: %w", m.Type, err)
		}
		if err := mounts.Apply(&m, k+"="+v); err != nil {
			return fmt.Errorf("%s mount: %w", m.Type, err)
		}
	}
	switch {
	case m.Target != "":
		m.Target = se.path(m.Target)
	case m.Type == "bind" || m.Type == "cache" || m.Type == "tmpfs":
		// BuildKit mounts it at the WORKDIR, and refuses /.
		if m.Target = se.cwd; path.Clean(m.Target) == "/" {
			return fmt.Errorf("a %s mount without a target goes to the WORKDIR, which is / here (BuildKit refuses it too): give a target", m.Type)
		}
	}
	logrus.Debugf("steps: step %s: %s mount id=%q target=%s", se.step.ID, m.Type, m.ID, m.Target)
	var err error
	switch m.Type {
	case "secret":
		return se.secret(m)
	case "ssh":
		*nssh++
		return se.ssh(m, *nssh == 1)
	case "cache":
		err = se.cache(m)
	case "bind":
		err = se.bind(m)
	case "tmpfs":
		err = se.tmpfs(m)
	default:
		return fmt.Errorf("unknown mount type %q", m.Type)
	}
	if err != nil {
		return fmt.Errorf("%s mount at %s: %w", m.Type, m.Target, err)
	}
	return nil
}

// secret writes the value to the target, hands it out as an environment
// variable, or both. A secret not given, where it is not required, puts no
// file at the target and sets the variable empty, as BuildKit does.
func (se *session) secret(m dockerfile.Mount) error {
	val, ok := se.srv.cfg.Secrets[m.ID]
	if !ok {
		if m.Required {
			return fmt.Errorf("secret %q is required but was not given", m.ID)
		}
		if m.Env != "" {
			se.env = append(se.env, m.Env+"=")
		}
		return nil
	}
	if m.Env != "" {
		se.env = append(se.env, m.Env+"="+val.Reveal())
	}
	if m.Target == "" {
		return nil
	}
	dst, err := se.fs.Place(m.Target)
	if err == nil {
		se.fs.Created(dst)
		err = rootfs.WriteNew(dst, strings.NewReader(val.Reveal()), or(m.Mode, 0o400), id(m.UID), id(m.GID))
	}
	if err != nil {
		return fmt.Errorf("secret %q at %s: %w", m.ID, m.Target, err)
	}
	return nil
}

// cache moves the store's directory for the id into place and back: a
// rename is instant whatever the cache holds. Sharing modes need nothing,
// as kaniko runs one step at a time. ReadOnly is not enforced.
func (se *session) cache(m dockerfile.Mount) error {
	if se.caches[m.ID] {
		return fmt.Errorf("cache %q is mounted twice in one step", m.ID)
	}
	se.caches[m.ID] = true
	sub, err := local(m.Source)
	if err != nil {
		return err
	}
	key := m.ID
	if m.From != "" {
		// BuildKit keeps a cache based on other files apart from the
		// cache of the same id based on nothing, and starts it as a copy
		// of the source; the source is then the cache's root.
		key += "\x00" + m.From + "\x00" + sub
		sub = "."
	}
	sum := sha256.Sum256([]byte(key))
	store := filepath.Join(se.srv.cfg.Dir, "cache", hex.EncodeToString(sum[:]))
	mkdir := func(dir string) error {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		if err := os.Lchown(dir, id(m.UID), id(m.GID)); err != nil {
			return err
		}
		return syscall.Chmod(dir, or(m.Mode, 0o755))
	}
	if _, serr := os.Lstat(store); errors.Is(serr, fs.ErrNotExist) && m.From != "" {
		if err := se.seed(m, store); err != nil {
			return fmt.Errorf("starting the cache from %q: %w", m.From, err)
		}
	} else if errors.Is(serr, fs.ErrNotExist) {
		if err := mkdir(store); err != nil {
			return fmt.Errorf("creating the cache's directory: %w", err)
		}
	} else if serr != nil {
		return serr
	}
	src, err := rootfs.Walk(store, sub, mkdir)
	if err != nil {
		return err
	}
	dst, err := se.fs.Place(m.Target)
	if err != nil {
		return err
	}
	if err := rootfs.Move(src, dst); err != nil {
		return err
	}
	se.fs.OnUndo(func() error {
		err := rootfs.Move(dst, src)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // the command removed the cache: the next use starts empty
		}
		return err
	})
	return nil
}

// bind copies from the build context, as BuildKit shows it: modes as in
// the context, every file owned by root (BuildKit's clients send the
// context with uid and gid 0). rw=false cannot be enforced without mount
// syscalls; writes are discarded either way, as the copy is removed after
// the step.
func (se *session) bind(m dockerfile.Mount) error {
	if m.From != "" {
		src, err := se.fromTree(m)
		if err != nil {
			return err
		}
		dst, err := se.fs.Place(m.Target)
		if err != nil {
			return err
		}
		se.fs.Created(dst)
		return rootfs.CopyTree(src, dst, false)
	}
	if se.srv.cfg.Context == "" {
		return errors.New("there is no build context to bind")
	}
	sub, err := local(m.Source)
	if err != nil {
		return err
	}
	// Symlinks in the context resolve inside it, as BuildKit's do.
	src, err := rootfs.Walk(se.srv.cfg.Context, sub, nil)
	if err != nil {
		return fmt.Errorf("source %q in the build context: %w", m.Source, err)
	}
	dst, err := se.fs.Place(m.Target)
	if err != nil {
		return err
	}
	se.fs.Created(dst)
	ignored := se.srv.cfg.ContextIgnored
	if ignored == nil {
		return rootfs.CopyTree(src, dst, true)
	}
	// What .dockerignore leaves out of the context is not there to bind,
	// as in BuildKit.
	judge := func(real string, dir bool) bool {
		rel, err := filepath.Rel(se.srv.cfg.Context, real)
		return err == nil && ignored(filepath.ToSlash(rel), dir)
	}
	if err := rootfs.CopyTreePruning(src, dst, true, judge, func(real string) bool { return judge(real, false) }); err != nil {
		return err
	}
	if sub != "." && leftOut(src, dst, judge) {
		return fmt.Errorf("source %q in the build context: not found (.dockerignore leaves it out)", m.Source)
	}
	return nil
}

// leftOut says whether .dockerignore leaves a bind's source itself out of
// the context, as BuildKit finds it: a file, or a directory nothing of
// which an exception brings back (copied empty, or not at all).
func leftOut(src, dst string, judge func(real string, dir bool) bool) bool {
	fi, err := os.Lstat(dst)
	if err != nil || !fi.IsDir() {
		return err != nil
	}
	entries, err := os.ReadDir(dst)
	return err == nil && len(entries) == 0 && judge(src, false)
}

// tmpfs is an empty directory, world-writable like a fresh tmpfs. Size is
// not enforced.
func (se *session) tmpfs(m dockerfile.Mount) error {
	dst, err := se.fs.Place(m.Target)
	if err != nil {
		return err
	}
	se.fs.Created(dst)
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	return syscall.Chmod(dst, 0o1777)
}

// local makes a source path relative to its root (the context or a
// cache), refusing one that climbs out of it.
func local(p string) (string, error) {
	c := path.Clean(strings.TrimLeft(p, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("source %q is outside its root", p)
	}
	return c, nil
}

// or is *v, or def when the option was not given.
func or(v *uint32, def uint32) uint32 {
	if v == nil {
		return def
	}
	return *v
}

// id is a uid or gid option, root when not given.
func id(v *uint32) int { return int(or(v, 0)) }
