package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

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
		dir, ok := se.srv.cfg.StageDirs[*m.FromStage]
		if !ok {
			return "", fmt.Errorf("kaniko kept no files of stage %q", m.From)
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
