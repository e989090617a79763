// Package pick does what BuildKit does for COPY --parents and for COPY or
// ADD --exclude, which kaniko ignores: it selects the entries of a source
// tree (the build context, or the files kept of an earlier stage) with
// BuildKit's rules, and writes them into a build root. The rules are those
// of go.mod's BuildKit, whose Dockerfile front end turns each source into a
// copy of a base path with include and exclude patterns, and whose file
// copier (fsutil) matches them with moby/patternmatcher:
//
//   - Wildcards are resolved in the base path only, each match copied on
//     its own: a directory's contents go into the destination, a file to
//     the destination (into it when it is a directory or ends in "/"). A
//     source without wildcards must exist; one with wildcards may match
//     nothing.
//   - --exclude patterns are matched against the path of each entry below
//     a matched directory, relative to it; a file matched as a source is
//     never excluded. An excluded directory is not entered unless a "!"
//     pattern could bring part of it back.
//   - --parents splits a source at its first "/./": the part before is the
//     base, the rest (relative to it) the include pattern. Without a "/./"
//     the base is the root and the whole path the pattern. A directory
//     that only leads to an included entry is created when that entry is.
//     The source must exist unless base or pattern has wildcards.
//
// What the context's .dockerignore leaves out is not there at all.
package pick

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/rootfs"
)

// Spec is what one COPY or ADD selects: its sources, with variables
// expanded, and its flags.
type Spec struct {
	Sources []string
	Parents bool
	Exclude []string
	// Add is set for ADD, which unpacks local archives: an archive among
	// the sources is refused, as its unpacking is not done here.
	Add bool
}

// Tree is a source tree.
type Tree struct {
	Root string // its real directory
	// Ignored reports whether a path (slash-separated, relative to Root)
	// is left out, as .dockerignore leaves paths out of the context; nil
	// leaves nothing out.
	Ignored func(rel string, dir bool) bool
	// AsRoot: the entries are owned by 0:0, whatever their owners in Root
	// (BuildKit's clients send the context so).
	AsRoot bool
}

// Match is one source as resolved in the tree: a file, or a directory
// whose selected entries go into the destination.
type Match struct {
	Real  string // the source with its links followed
	Name  string // its name, for a file copied into a directory
	Dir   bool
	Nodes []Node // a directory's entries to create, in order
}

// Node is an entry below a matched directory that the copy creates.
type Node struct {
	Rel  string // slash-separated, relative to the destination directory
	Real string
	Info fs.FileInfo
	// Parent: a directory created only because an entry below it is
	// selected. One that exists at the destination keeps its owner.
	Parent bool
}

// Select resolves the sources of s in t.
func (t Tree) Select(s Spec) ([]Match, error) {
	if t.Root == "" {
		return nil, errors.New("there is no build context to copy from")
	}
	exc, err := matcher(s.Exclude)
	if err != nil {
		return nil, fmt.Errorf("--exclude: %w", err)
	}
	var out []Match
	for _, src := range s.Sources {
		base, pattern := src, ""
		if s.Parents {
			var pivot bool
			if base, pattern, pivot = strings.Cut(src, "/./"); !pivot {
				base, pattern = "/", src
			}
			pattern = strings.TrimPrefix(path.Clean("/"+pattern), "/")
			if !wildcards(base) && !wildcards(pattern) {
				if _, err := t.lookup(path.Join("/", base, pattern)); err != nil {
					return nil, fmt.Errorf("%q: not found", src)
				}
			}
		}
		inc, err := matcher(nil)
		if s.Parents {
			inc, err = matcher([]string{pattern})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		paths, err := t.resolve(path.Clean("/" + base))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", src, err)
		}
		for _, p := range paths {
			m, err := t.match(p[0], p[1], inc, exc, s.Add)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", src, err)
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// matcher compiles patterns; none gives nil, which matches everything
// for an include and nothing for an exclude.
func matcher(patterns []string) (*patternmatcher.PatternMatcher, error) {
	if patterns == nil {
		return nil, nil
	}
	return patternmatcher.New(patterns)
}

// lookup is the real path of p (absolute in the tree) with every link
// followed inside the tree; an ignored path is not found.
func (t Tree) lookup(p string) (string, error) {
	real, err := rootfs.Walk(t.Root, p, nil)
	if err != nil {
		return "", err
	}
	if t.skips(real) {
		return "", fs.ErrNotExist
	}
	return real, nil
}

// skips reports whether .dockerignore leaves real (in the tree) out.
func (t Tree) skips(real string) bool {
	if t.Ignored == nil {
		return false
	}
	rel, err := filepath.Rel(t.Root, real)
	if err != nil || rel == "." {
		return false
	}
	fi, err := os.Lstat(real)
	return t.Ignored(filepath.ToSlash(rel), err == nil && fi.IsDir())
}

// hides reports whether .dockerignore matches the directory real, which
// it does not skip only because an exception may bring back part of it:
// BuildKit's context then holds it only as the parent of what comes back.
func (t Tree) hides(real string) bool {
	if t.Ignored == nil {
		return false
	}
	rel, err := filepath.Rel(t.Root, real)
	return err == nil && rel != "." && t.Ignored(filepath.ToSlash(rel), false)
}

// resolve expands the wildcards of p (absolute in the tree) as BuildKit
// does: the elements before the first one with a wildcard are a path
// (links followed), the rest is matched against every path below it,
// and a directory that matches is not entered. Without wildcards p is
// its only match, found or not. Each match is its real path and its name
// (that of the link, for a link).
func (t Tree) resolve(p string) ([][2]string, error) {
	elems := strings.Split(strings.TrimPrefix(p, "/"), "/")
	i := 0
	for i < len(elems) && !wildcards(elems[i]) {
		i++
	}
	if i == len(elems) {
		real, err := t.lookup(p)
		if err != nil {
			return nil, errors.New("not found")
		}
		return [][2]string{{real, path.Base(p)}}, nil
	}
	base, err := t.lookup("/" + strings.Join(elems[:i], "/"))
	if err != nil {
		return nil, err
	}
	rest := strings.Join(elems[i:], "/")
	var out [][2]string
	err = filepath.WalkDir(base, func(q string, d fs.DirEntry, err error) error {
		if err != nil || q == base {
			return err
		}
		if t.skips(q) {
			return skip(d)
		}
		rel, _ := filepath.Rel(base, q)
		if ok, _ := filepath.Match(rest, rel); !ok {
			return nil
		}
		// A link that matches is followed, inside the tree.
		real, err := t.lookup(strings.TrimPrefix(q, t.Root))
		if err != nil {
			return err
		}
		out = append(out, [2]string{real, d.Name()})
		return skip(d)
	})
	return out, err
}

func skip(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

// wildcards reports whether p has a wildcard that no backslash escapes.
func wildcards(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// match selects what one resolved source gives.
func (t Tree) match(real, name string, inc, exc *patternmatcher.PatternMatcher, add bool) (Match, error) {
	fi, err := os.Stat(real)
	if err != nil {
		return Match{}, err
	}
	m := Match{Real: real, Name: name, Dir: fi.IsDir()}
	if !m.Dir {
		if add && archive(real) {
			return m, errors.New("a local archive, which ADD unpacks: not supported with --exclude or a symbolic --chmod here")
		}
		return m, nil
	}
	w := walker{t: t, inc: inc, exc: exc}
	err = w.dir(real, "", patternmatcher.MatchInfo{}, patternmatcher.MatchInfo{})
	m.Nodes = w.nodes
	return m, err
}

// walker selects the entries below one matched directory.
type walker struct {
	t        Tree
	inc, exc *patternmatcher.PatternMatcher
	// down holds the directories on the way to the entry being read, and
	// whether each is selected yet: a directory left out by the patterns
	// is selected, as a parent, when an entry below it is.
	down  []Node
	added []bool
	nodes []Node
}

func (w *walker) dir(real, rel string, incInfo, excInfo patternmatcher.MatchInfo) error {
	entries, err := os.ReadDir(real)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p, r := filepath.Join(real, e.Name()), path.Join(rel, e.Name())
		if w.t.skips(p) {
			continue
		}
		include, ii, err := true, patternmatcher.MatchInfo{}, error(nil)
		if w.inc != nil {
			include, ii, err = w.inc.MatchesUsingParentResults(r, incInfo)
		}
		excluded, ei := false, patternmatcher.MatchInfo{}
		if err == nil && w.exc != nil {
			excluded, ei, err = w.exc.MatchesUsingParentResults(r, excInfo)
		}
		if err != nil {
			return err
		}
		exceptions := w.exc != nil && w.exc.Exclusions()
		if excluded && !exceptions && w.inc == nil {
			continue
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		include = include && !excluded && !(info.IsDir() && w.t.hides(p))
		if include {
			for i, d := range w.down {
				if !w.added[i] {
					d.Parent, w.added[i] = true, true
					w.nodes = append(w.nodes, d)
				}
			}
			w.nodes = append(w.nodes, Node{Rel: r, Real: p, Info: info})
		}
		if !info.IsDir() || excluded && !exceptions {
			continue
		}
		w.down = append(w.down, Node{Rel: r, Real: p, Info: info})
		w.added = append(w.added, include)
		err = w.dir(p, r, ii, ei)
		w.down, w.added = w.down[:len(w.down)-1], w.added[:len(w.added)-1]
		if err != nil {
			return err
		}
	}
	return nil
}

// archive reports whether the file starts as an archive ADD would unpack
// (tar, or gzip, bzip2, xz or zstd compressed).
func archive(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 262)
	n, _ := f.Read(b)
	b = b[:n]
	for _, magic := range []string{"\x1f\x8b", "BZh", "\xfd7zXZ\x00", "\x28\xb5\x2f\xfd"} {
		if strings.HasPrefix(string(b), magic) {
			return true
		}
	}
	return n >= 262 && string(b[257:262]) == "ustar"
}
