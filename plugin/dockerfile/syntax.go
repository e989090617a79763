package dockerfile

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// dockerFrontendRE matches Docker's own Dockerfile front ends: the
// released docker/dockerfile and the docker/dockerfile-upstream builds of
// BuildKit's master branch, with a tag (group 2) or none.
var dockerFrontendRE = regexp.MustCompile(`^(?:docker\.io/)?docker/dockerfile(-upstream)?(?::([A-Za-z0-9][A-Za-z0-9._-]*))?(?:@sha256:[0-9a-f]{64})?$`)

// versionTagRE matches the version 1 tags of docker/dockerfile.
var versionTagRE = regexp.MustCompile(`^1(?:\.([0-9]+))?(?:\.[0-9]+)?(-labs)?$`)

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

// syntax checks the # syntax= directive, which BuildKit honours and kaniko
// ignores. Docker's own front ends are read as the syntax of the parser's
// version: tags naming that version or an earlier one silently, the others
// (labs, experimental, upstream builds, later versions) with a notice
// naming the version used. What that version does not implement is refused
// instruction by instruction. Any other front end is refused.
func (a *analysis) syntax() {
	ref, _, loc, ok := parser.DetectSyntax(a.src)
	if !ok {
		return
	}
	m := dockerFrontendRE.FindStringSubmatch(ref)
	tag := ""
	if m != nil {
		tag = m[2]
	}
	v := versionTagRE.FindStringSubmatch(tag)
	switch {
	case m == nil || m[1] == "" && v == nil && tag != "" && tag != "latest" && tag != "labs" && tag != "experimental":
		a.problem(rangeLine(loc), fmt.Sprintf("# syntax=%s: a custom frontend cannot run here (only Docker's own: docker/dockerfile:1, its 1.x, labs and experimental tags, docker/dockerfile-upstream)", ref))
	case m[1] != "" || tag == "labs" || tag == "experimental" || v != nil && (v[2] != "" || later(v[1])):
		a.res.Notices = append(a.res.Notices, fmt.Sprintf("%s:%d: # syntax=%s: read as the Dockerfile syntax %s of this build's parser; what it does not implement is refused by line", a.opts.File, rangeLine(loc), ref, ParserVersion()))
	}
}

// later reports whether minor (of 1.<minor>) is after the parser's version.
func later(minor string) bool {
	n, err := strconv.Atoi(minor)
	p, perr := strconv.Atoi(strings.TrimPrefix(ParserVersion(), "1."))
	return err == nil && perr == nil && n > p
}
