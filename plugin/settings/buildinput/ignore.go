package buildinput

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Ignore is the build context's .dockerignore: what BuildKit leaves out
// of everything it reads from the context, bind mounts included.
type Ignore struct {
	File string // the file the patterns came from
	pm   *patternmatcher.PatternMatcher
}

// ContextIgnore reads the patterns BuildKit applies to the context: those
// of <Dockerfile>.dockerignore next to the Dockerfile when it exists, else
// those of the context's .dockerignore. None is no error: a nil *Ignore
// leaves nothing out.
func ContextIgnore(context, dockerfile string) (*Ignore, error) {
	for _, file := range []string{dockerfile + ".dockerignore", filepath.Join(context, ".dockerignore")} {
		f, err := os.Open(file)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return &Ignore{File: file, pm: pm}, nil
	}
	return nil, nil
}

// Skips reports whether the context path rel (slash-separated, relative
// to the context) is left out. A directory is left out whole only when no
// pattern starting with ! could bring part of it back; otherwise its
// entries are judged one by one.
func (ig *Ignore) Skips(rel string, dir bool) bool {
	if ig == nil || ig.pm == nil || rel == "." || rel == "" {
		return false
	}
	m, err := ig.pm.MatchesOrParentMatches(rel)
	if err != nil || !m {
		return false
	}
	return !dir || !ig.pm.Exclusions()
}
