package dockerfile

import (
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/words"
)

// metaArg records a global ARG (before the first FROM), which is what a
// FROM can name; a build arg given for it wins over its default.
func (a *analysis) metaArg(c *instructions.ArgCommand) {
	if a.meta == nil {
		a.meta = map[string]string{}
	}
	given := map[string]string{}
	for _, ba := range a.opts.BuildArgs {
		k, v, _ := strings.Cut(ba, "=")
		given[k] = v
	}
	for _, kv := range c.Args {
		v, set := given[kv.Key]
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

// pull records the registry an image reference of FROM or COPY --from
// pulls from: scratch and earlier stages pull nothing. Variables expand as
// they will for kaniko, from the global ARGs and the build args; a
// reference that is then empty or no reference makes Result.PullsUnknown
// true: the build may pull from anywhere.
func (a *analysis) pull(ref string) {
	var env []string
	for k, v := range a.meta {
		env = append(env, k+"="+v)
	}
	res, err := words.Lexer(a.escape).ProcessWordWithMatches(ref, shell.EnvsFromSlice(env))
	low := strings.ToLower(res.Result)
	switch {
	case err != nil || res.Result == "":
		a.res.PullsUnknown = true
	case low == "scratch" || a.isStage(low):
	default:
		r, err := name.ParseReference(res.Result)
		if err != nil {
			a.res.PullsUnknown = true
			return
		}
		if h := r.Context().RegistryStr(); !slices.Contains(a.res.Pulls, h) {
			a.res.Pulls = append(a.res.Pulls, h)
		}
	}
}

// copyFrom records what COPY --from names when it is an image rather than
// a stage (by name or index).
func (a *analysis) copyFrom(from string) {
	if _, err := strconv.Atoi(from); from == "" || err == nil || a.isStage(strings.ToLower(from)) {
		return
	}
	a.pull(from)
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
