package rootfs

import (
	"fmt"
	"path/filepath"

	"github.com/moby/patternmatcher"
)

// Fill copies the directory src to dst (which must not exist), owned by
// root (as BuildKit sends a local context), leaving out what the
// .dockerignore patterns excludes leave out, as BuildKit does for a
// directory context.
func Fill(dst, src string, excludes []string) error {
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return fmt.Errorf("the patterns of %s/.dockerignore: %w", src, err)
	}
	matched := func(p string) bool {
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return false
		}
		m, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		return err == nil && m
	}
	// A directory the patterns leave out is entered only when an exception
	// may bring part of it back, and kept only if one does.
	return CopyTreePruning(src, dst, true, func(p string, dir bool) bool {
		return matched(p) && (!dir || !pm.Exclusions())
	}, matched)
}
