// Package sources classifies the sources of ADD and COPY the way BuildKit
// does: downloads, git repositories and local paths, and the digests ADD
// --checksum accepts.
package sources

import (
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
