// Package sources classifies the sources of ADD and COPY the way BuildKit
// does: downloads, git repositories and local paths, and the digests ADD
// --checksum accepts.
package sources

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
)

// sha256RE is the only digest form accepted for ADD --checksum.
var sha256RE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ValidChecksum reports whether s is a digest ADD --checksum can verify
// here: sha256:<64 lower-case hex digits>.
func ValidChecksum(s string) bool { return sha256RE.MatchString(s) }

// IsHTTP is BuildKit's test for a download source.
func IsHTTP(src string) bool {
	return (strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")) && !IsGit(src)
}

// IsGit is BuildKit's test for a git source. kaniko would download an
// https://....git URL as a web page, and treat git@... as a local path.
func IsGit(src string) bool {
	ref, isGit, err := dfgitutil.ParseGitRef(src)
	if err != nil {
		return isGit
	}
	return ref != nil && !ref.IndistinguishableFromLocal
}

// Git is a git source of ADD as BuildKit reads it: the remote, the ref
// (branch, tag, full ref or commit), the subdirectory, the commit it must
// be (ADD --checksum or ?checksum=), whether .git is kept
// (ADD --keep-git-dir or ?keep-git-dir=) and the files' time (?mtime=).
type Git struct {
	Remote     string `json:"remote"`
	Ref        string `json:"ref,omitempty"`
	SubDir     string `json:"subdir,omitempty"`
	Checksum   string `json:"checksum,omitempty"`
	KeepGitDir bool   `json:"keepGitDir,omitempty"`
	MTime      string `json:"mtime,omitempty"`
	// Submodules: the checkout fetches the submodules, as BuildKit does
	// unless the URL says ?submodules=false. Not omitted when true, so
	// that the step's id (and cache key) differs from a version that
	// did not fetch them.
	Submodules bool `json:"submodules"`
}

// commitRE is what BuildKit takes as a git checksum: a commit, or a
// prefix of one.
var commitRE = regexp.MustCompile(`^[0-9a-fA-F]+$`)

// ParseGit reads src, a git source (IsGit), with ADD's --keep-git-dir and
// --checksum flags, refusing what BuildKit refuses: a flag that
// contradicts the URL's query, a checksum that is no commit.
func ParseGit(src string, keepGitDir *bool, checksum string) (Git, error) {
	ref, _, err := dfgitutil.ParseGitRef(src)
	if err != nil {
		return Git{}, err
	}
	g := Git{Remote: ref.Remote, Ref: ref.Ref, SubDir: ref.SubDir, Checksum: ref.Checksum, MTime: ref.MTime}
	g.Submodules = ref.Submodules == nil || *ref.Submodules
	if keepGitDir != nil && ref.KeepGitDir != nil && *keepGitDir != *ref.KeepGitDir {
		return g, errors.New("inconsistent keep-git-dir configuration: the flag and the URL disagree")
	}
	g.KeepGitDir = keepGitDir != nil && *keepGitDir || ref.KeepGitDir != nil && *ref.KeepGitDir
	if checksum != "" && g.Checksum != "" && checksum != g.Checksum {
		return g, fmt.Errorf("checksum mismatch %q != %q", checksum, g.Checksum)
	}
	if checksum != "" {
		g.Checksum = checksum
	}
	if g.Checksum != "" && !commitRE.MatchString(g.Checksum) {
		return g, fmt.Errorf("checksum %q is not a commit (hex digits)", g.Checksum)
	}
	g.Checksum = strings.ToLower(g.Checksum)
	return g, nil
}
