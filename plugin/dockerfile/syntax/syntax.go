// Package syntax judges the # syntax= directive of a Dockerfile: which
// front ends are Docker's own, and the Dockerfile version that BuildKit's
// parser in this binary reads.
package syntax

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
)

// dockerFrontendRE matches Docker's own Dockerfile front ends: the
// released docker/dockerfile and the docker/dockerfile-upstream builds of
// BuildKit's master branch, with a tag (group 2) or none.
var dockerFrontendRE = regexp.MustCompile(`^(?:docker\.io/)?docker/dockerfile(-upstream)?(?::([A-Za-z0-9][A-Za-z0-9._-]*))?(?:@sha256:[0-9a-f]{64})?$`)

// versionTagRE matches the version 1 tags of docker/dockerfile.
var versionTagRE = regexp.MustCompile(`^1(?:\.([0-9]+))?(?:\.[0-9]+)?(-labs)?$`)

// Verdict is how a front end reference is read.
type Verdict int

const (
	// Custom is a front end other than Docker's own: it cannot run here.
	Custom Verdict = iota
	// Stable is docker/dockerfile at a version the parser reads.
	Stable
	// AsParser is one of Docker's own front ends read as the parser's
	// version: labs, experimental, upstream builds, later versions.
	AsParser
)

// Judge says how ref, the value of # syntax=, is read.
func Judge(ref string) Verdict {
	m := dockerFrontendRE.FindStringSubmatch(ref)
	if m == nil {
		return Custom
	}
	upstream, tag := m[1] != "", m[2]
	v := versionTagRE.FindStringSubmatch(tag)
	switch {
	case upstream || tag == "labs" || tag == "experimental":
		return AsParser
	case v != nil && (v[2] != "" || later(v[1])):
		return AsParser
	case v != nil || tag == "" || tag == "latest":
		return Stable
	}
	return Custom
}

// ParserVersion is the Dockerfile syntax that buildkit's parser in this
// binary reads, as docker/dockerfile's version: its releases pair with
// BuildKit's, docker/dockerfile 1.N with BuildKit v0.(N+6).
func ParserVersion() string {
	const known = "1.23" // BuildKit v0.29, when the build info is missing
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return known
	}
	for _, d := range info.Deps {
		if d.Path != "github.com/moby/buildkit" {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(d.Version, "v"), ".")
		if len(parts) < 2 || parts[0] != "0" {
			break
		}
		if minor, err := strconv.Atoi(parts[1]); err == nil && minor > 6 {
			return fmt.Sprintf("1.%d", minor-6)
		}
	}
	return known
}

// later reports whether minor (of 1.<minor>) is after the parser's version.
func later(minor string) bool {
	n, err := strconv.Atoi(minor)
	p, perr := strconv.Atoi(strings.TrimPrefix(ParserVersion(), "1."))
	return err == nil && perr == nil && n > p
}
