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
	return CopyTreeSkipping(src, dst, true, func(p string, dir bool) bool {
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return false
		}
		m, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		return err == nil && m && (!dir || !pm.Exclusions())
	})
}
