package dockerfile

import (
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/mounts"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/words"
)

// stageArg records an ARG inside a stage: the build arg given for it, else
// its default (expanded), else the global ARG of that name.
func (a *analysis) stageArg(c *instructions.ArgCommand) {
	cur := a.cur()
	for _, kv := range c.Args {
		if v, ok := a.buildArg(kv.Key); ok {
			cur.vars.SetArg(kv.Key, v)
		} else if kv.Value != nil {
			if v, _, err := words.Expand(a.lex(), *kv.Value, cur.vars); err == nil {
				cur.vars.SetArg(kv.Key, v)
			}
		} else if v, ok := a.meta[kv.Key]; ok {
			cur.vars.SetArg(kv.Key, v)
		}
	}
}

// stageEnv records ENV values, expanded as BuildKit expands them.
func (a *analysis) stageEnv(c *instructions.EnvCommand) {
	cur := a.cur()
	for _, kv := range c.Env {
		if v, _, err := words.Expand(a.lex(), kv.Value, cur.vars); err == nil {
			cur.vars.SetEnv(kv.Key, v)
		}
	}
}

func (a *analysis) lex() *shell.Lex { return words.Lexer(a.escape) }

// expandMount expands the build variables in the options of a --mount
// value that decide how the mount is set up, with the values known before
// the build. An option whose variable only the base image's ENV can define
// is left to the step server, but for type, which decides everything.
func (a *analysis) expandMount(val string) (string, []string, error) {
	return mounts.ExpandOptions(val, func(k, v string) (string, bool, error) {
		x, unknown, err := words.Expand(a.lex(), v, a.cur().vars)
		switch {
		case err != nil:
			return "", false, fmt.Errorf("%s: %v", k, err)
		case len(unknown) > 0 && strings.EqualFold(k, "type"):
			return "", false, fmt.Errorf("type uses %s, which the Dockerfile does not define (ARG or ENV) before this line", words.Unknown(unknown))
		case len(unknown) > 0:
			return "", true, nil
		}
		return x, false, nil
	})
}

// word is a source or flag as BuildKit reads it: quotes and escapes
// processed, known variables expanded, the others empty.
func (a *analysis) word(w string) string {
	x, _, err := words.Expand(a.lex(), w, a.cur().vars)
	if err != nil {
		return w
	}
	return x
}
