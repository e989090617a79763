// Package platform judges a stage's FROM --platform. kaniko pulls every
// base image for one platform and ignores per-stage platforms, so a stage
// builds only when its platform resolves to that one.
package platform

import (
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Verdict is what becomes of a FROM --platform.
type Verdict int

const (
	// OK: the stage is pulled for the platform it asks for.
	OK Verdict = iota
	// Warn: it asks for the build machine's platform ($BUILDPLATFORM),
	// and kaniko pulls it for the target's instead.
	Warn
	// Refuse: kaniko cannot honour it, in a stage the target needs.
	Refuse
	// RefuseAlways: BuildKit itself refuses it, in any stage.
	RefuseAlways
)

// Expander expands a word as BuildKit expands FROM flags (global ARGs and
// build args), with extra NAME=value pairs under them.
type Expander func(word string, extra ...string) (shell.ProcessWordResult, error)

// Check judges value for a build whose target platform is target, on a
// machine of platform build, and says why when it is not OK.
func Check(value, target, build string, expand Expander) (Verdict, string) {
	flag := "FROM --platform=" + value
	env := []string{"TARGETPLATFORM=" + target, "BUILDPLATFORM=" + build}
	for _, p := range []struct{ prefix, platform string }{{"TARGET", target}, {"BUILD", build}} {
		os, arch, _ := strings.Cut(p.platform, "/")
		arch, variant, _ := strings.Cut(arch, "/")
		env = append(env, p.prefix+"OS="+os, p.prefix+"ARCH="+arch, p.prefix+"VARIANT="+variant)
	}
	res, err := expand(value, env...)
	_, viaBuild := res.Matched["BUILDPLATFORM"]
	switch {
	case err != nil:
		return RefuseAlways, fmt.Sprintf("%s: %v", flag, err)
	case res.Result == "":
		return RefuseAlways, flag + ": empty platform value (set the variable with a global ARG or a build arg)"
	case Same(res.Result, target):
		return OK, ""
	case viaBuild && Same(res.Result, build):
		return Warn, fmt.Sprintf("%s: kaniko pulls this stage for %s, not for the build machine's platform", flag, target)
	case res.Result != value:
		return Refuse, fmt.Sprintf("%s: resolves to %q; kaniko pulls every base image for %s and cannot honour a per-stage platform", flag, res.Result, target)
	}
	return Refuse, fmt.Sprintf("%s: kaniko pulls every base image for %s and cannot honour a per-stage platform", flag, target)
}

// Same compares two os/arch[/variant] strings after normalising them.
// Specifiers without an OS are never equal: resolving them would read the
// host's CPU details.
func Same(x, y string) bool {
	if !strings.Contains(x, "/") || !strings.Contains(y, "/") {
		return x == y
	}
	px, errx := platforms.Parse(x)
	py, erry := platforms.Parse(y)
	if errx != nil || erry != nil {
		return false
	}
	return platforms.Format(platforms.Normalize(px)) == platforms.Format(platforms.Normalize(py))
}
