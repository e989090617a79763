package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/rootfs"
)

// fromTree is the real path of a mount's source taken from an earlier
// stage (the files kaniko kept of it) or from an image (pulled once per
// build and source). Links resolve inside the stage's or image's files.
func (se *session) fromTree(m dockerfile.Mount) (string, error) {
	sub, err := local(m.Source)
	if err != nil {
		return "", err
	}
	switch {
	case m.FromStage != nil:
		dir := se.srv.stageStore(*m.FromStage)
		if _, err := os.Stat(dir); err != nil {
			return "", fmt.Errorf("no files of stage %q were kept: %w", m.From, err)
		}
		real, err := rootfs.Walk(dir, sub, nil)
		if err != nil {
			return "", fmt.Errorf("source %q in stage %q: %w", m.Source, m.From, err)
		}
		return real, nil
	case m.FromImage:
		return se.srv.imageTree(m.From, sub)
	}
	return "", fmt.Errorf("from=%s names neither a stage nor an image", m.From)
}

// imageTree pulls source (relative) of the image ref into the server's
// directory, once per build.
func (s *Server) imageTree(ref, sub string) (string, error) {
	s.pulls.Lock()
	defer s.pulls.Unlock()
	sum := sha256.Sum256([]byte(ref + "\x00" + sub))
	key := hex.EncodeToString(sum[:])
	if dir, ok := s.images[key]; ok {
		return dir, nil
	}
	dir := filepath.Join(s.cfg.Dir, "images", key)
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := s.cfg.Registry.ImageTree(ref, "/"+sub, dir); err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	s.images[key] = dir
	return dir, nil
}

// seed starts a cache based on a stage or an image as a copy of the
// mount's source there.
func (se *session) seed(m dockerfile.Mount, store string) error {
	src, err := se.fromTree(m)
	if err != nil {
		return err
	}
	return rootfs.CopyTree(src, store, false)
}

// stageStore is where the files of stage n that later steps mount are
// kept.
func (s *Server) stageStore(n int) string {
	return filepath.Join(s.cfg.Dir, "stages", strconv.Itoa(n))
}

// keep copies the sources later steps mount out of the stage that ends
// here, before kaniko deletes its files. Links resolve inside the stage,
// as BuildKit resolves a mount's source in the stage's file system.
func (se *session) keep() error {
	store := se.srv.stageStore(se.step.Stage)
	if err := os.RemoveAll(store); err != nil {
		return err
	}
	if err := os.MkdirAll(store, 0o700); err != nil {
		return err
	}
	for _, p := range se.step.Keep {
		if p == "/" {
			return se.keepAll(store)
		}
		real, err := rootfs.Walk(se.fs.Root(), p, nil)
		if err != nil {
			return fmt.Errorf("keeping %s of stage %q for a later mount: %w", p, se.step.StageName, err)
		}
		dst := filepath.Join(store, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := rootfs.CopyTree(real, dst, false); err != nil {
			return fmt.Errorf("keeping %s of stage %q: %w", p, se.step.StageName, err)
		}
	}
	return nil
}

// keepAll keeps the whole stage but kaniko's ignored paths, and the
// directories that exist only to hold them: a stage built from scratch
// has neither.
func (se *session) keepAll(store string) error {
	root := se.fs.Root()
	var ignored []string
	if rel, err := filepath.Rel(root, se.srv.cfg.Dir); err == nil {
		ignored = append(ignored, "/"+strings.Split(rel, string(filepath.Separator))[0])
	}
	if se.srv.cfg.IgnoreList != nil {
		ignored = append(ignored, se.srv.cfg.IgnoreList()...)
	}
	rootPath := func(real string) string {
		r, _ := filepath.Rel(root, real)
		return path.Clean("/" + filepath.ToSlash(r))
	}
	skip := func(real string, _ bool) bool {
		p := rootPath(real)
		return slices.ContainsFunc(ignored, func(ig string) bool { return p == ig || strings.HasPrefix(p, ig+"/") })
	}
	// The copy of the root is the store itself, with the root's mode.
	if err := os.Remove(store); err != nil {
		return err
	}
	if err := rootfs.CopyTreeSkipping(root, store, false, func(real string, dir bool) bool { return real != root && skip(real, dir) }); err != nil {
		return fmt.Errorf("keeping stage %q for a later mount: %w", se.step.StageName, err)
	}
	holder := func(p string) bool {
		return slices.ContainsFunc(ignored, func(ig string) bool { return strings.HasPrefix(ig, p+"/") })
	}
	return pruneHolders(store, holder)
}

// pruneHolders removes the empty directories of store that only held
// ignored paths (holder reports those, by their path in the stage).
func pruneHolders(store string, holder func(string) bool) error {
	var dirs []string
	err := filepath.WalkDir(store, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != store {
			dirs = append(dirs, p)
		}
		return err
	})
	for i := len(dirs) - 1; i >= 0 && err == nil; i-- {
		rel, _ := filepath.Rel(store, dirs[i])
		if kept, _ := os.ReadDir(dirs[i]); len(kept) == 0 && holder("/"+filepath.ToSlash(rel)) {
			err = os.Remove(dirs[i])
		}
	}
	return err
}
