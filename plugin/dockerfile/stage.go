package dockerfile

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/checks"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/platform"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/words"
)

// defaultShell is what BuildKit and kaniko prepend to shell-form commands
// on Linux when neither the Dockerfile nor the base image sets SHELL.
var defaultShell = []string{"/bin/sh", "-c"}

// from starts a stage. A stage built on an earlier stage inherits its
// SHELL, as kaniko takes that stage's image config as the base; for any
// other base image the default shell is assumed, because its config is
// unknown before the build.
func (a *analysis) from(n *parser.Node, st *instructions.Stage) {
	shell, vars, volumes := defaultShell, words.Vars{}, []string(nil)
	base := strings.ToLower(st.BaseName)
	for _, prev := range a.stages {
		if prev.name != "" && prev.name == base {
			shell, vars, volumes = prev.shell, prev.vars.Clone(false), slices.Clone(prev.volumes)
		}
	}
	if st.Name != "" && !strings.HasPrefix(st.Name, named.StagePrefix) {
		for _, prev := range a.stages {
			if prev.name == st.Name {
				// BuildKit refuses this; kaniko would silently use the first.
				a.refuse(n.StartLine, fmt.Sprintf("FROM: duplicate stage name %q", st.Name))
			}
		}
		a.res.Stages = append(a.res.Stages, st.Name)
	}
	a.stages = append(a.stages, stage{name: st.Name, shell: append([]string(nil), shell...), files: a.baseFiles(base), vars: vars, volumes: volumes})
	a.pull(st.BaseName)
	if st.Platform != "" {
		a.platform(n.StartLine, st.Platform)
	}
}

// platform checks FROM --platform, which kaniko ignores: it pulls every
// base image for one platform (Options.Platform).
func (a *analysis) platform(line int, value string) {
	target := cmp.Or(a.opts.Platform, runtime.GOOS+"/"+runtime.GOARCH)
	switch v, msg := platform.Check(value, target, runtime.GOOS+"/"+runtime.GOARCH, a.lexMeta); v {
	case platform.Warn:
		a.warn(line, msg)
	case platform.Refuse:
		a.problem(line, msg)
	case platform.RefuseAlways:
		a.refuse(line, msg)
	}
}

// healthcheck refuses any flag on HEALTHCHECK NONE, which BuildKit itself
// never reads. (--start-interval, which kaniko drops, the builder writes
// back: Result.Health.)
func (a *analysis) healthcheck(n *parser.Node, c *instructions.HealthCheckCommand) {
	if c.Health != nil && len(c.Health.Test) == 1 && c.Health.Test[0] == "NONE" {
		for _, f := range n.Flags {
			a.problem(n.StartLine, "HEALTHCHECK "+f+": HEALTHCHECK NONE takes no flags")
		}
	}
}

// directives checks the parser directives BuildKit honours and kaniko
// ignores.
func (a *analysis) directives() {
	a.syntax()
	// With checks off, skipping them is moot; only error=true, which makes
	// BuildKit fail on a check, changes the outcome.
	if line, msg := checks.IgnoredDirective(a.src); msg != "" && !a.opts.Checks {
		a.warn(line, msg)
	}
}

// noteRun records the current stage's first RUN.
func (a *analysis) noteRun(line int) {
	i := len(a.stages) - 1
	if n := len(a.res.Runs); i < 0 || a.unused() || n > 0 && a.res.Runs[n-1].Stage == i || strings.HasPrefix(a.stages[i].name, named.StagePrefix) {
		return
	}
	a.res.Runs = append(a.res.Runs, StageRun{Stage: i, Name: a.stages[i].name, Line: line})
}

// volume takes VOLUME from kaniko, which would leave what the stage
// writes under the path afterwards out of every layer (the classic
// builder's rule) and create the directory; BuildKit does neither. kaniko
// gets an ARG that declares nothing the build uses in its place, and the
// builder adds the target's volumes to its config (Result.Volumes). A
// path whose variables are known only during the build stays kaniko's;
// one that does not expand (an unclosed quote) is refused, as BuildKit
// refuses it.
func (a *analysis) volume(n *parser.Node, c *instructions.VolumeCommand) bool {
	if a.unused() {
		return false // the stage is emptied (reach.Prune)
	}
	cur := a.cur()
	paths := slices.Clone(cur.volumes)
	for _, v := range c.Volumes {
		x, unknown, err := words.Expand(a.lex(), v, cur.vars)
		if err != nil {
			a.problem(n.StartLine, "VOLUME "+v+": "+err.Error())
			return true // refused, as BuildKit refuses it
		}
		if len(unknown) > 0 {
			return false
		}
		paths = append(paths, x)
	}
	cur.volumes = paths
	a.edits = append(a.edits, edits.Edit{Start: n.StartLine, End: n.EndLine, Text: "ARG " + volumeArg})
	return true
}

// volumeArg is the ARG that stands for a VOLUME: a name no build arg takes.
const volumeArg = "KANIKO_ECR_VOLUME"
