package dockerfile

import (
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/pulls"
)

// metaArg records a global ARG (before the first FROM), which is what a
// FROM can name; a build arg given for it wins over its default.
func (a *analysis) metaArg(c *instructions.ArgCommand) {
	if a.meta == nil {
		a.meta = map[string]string{}
	}
	for _, kv := range c.Args {
		v, set := a.buildArg(kv.Key)
		if !set && kv.Value != nil {
			v, set = *kv.Value, true
		}
		if set {
			a.meta[kv.Key] = v
		} else {
			delete(a.meta, kv.Key)
		}
	}
}

// pull records the registry an image reference of FROM, COPY --from or a
// mount's from= pulls from (package pulls), expanded as it will be for
// kaniko, from the global ARGs and the build args.
func (a *analysis) pull(ref string) {
	if a.unused() {
		return // not built, so not pulled
	}
	res, err := a.lexMeta(ref)
	a.pulls.Image(res.Result, err, a.isStage)
}

// copyFrom records what COPY --from names when it is an image rather than
// a stage (by name or index).
func (a *analysis) copyFrom(from string) {
	if pulls.IsImage(from, a.isStage) {
		a.pull(from)
	}
}

// isStage reports whether name (lower-cased) names a stage seen so far.
func (a *analysis) isStage(name string) bool {
	for _, st := range a.stages {
		if st.name != "" && st.name == name {
			return true
		}
	}
	return false
}

// buildArg is the value given for the build arg k, the last one given.
func (a *analysis) buildArg(k string) (string, bool) {
	for _, ba := range slices.Backward(a.opts.BuildArgs) {
		if name, v, _ := strings.Cut(ba, "="); name == k {
			return v, true
		}
	}
	return "", false
}
