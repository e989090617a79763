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
	given := map[string]string{}
	for _, ba := range a.opts.BuildArgs {
		k, v, _ := strings.Cut(ba, "=")
		given[k] = v
	}
	cur := a.cur()
	for _, kv := range c.Args {
		if v, ok := given[kv.Key]; ok {
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
// the build; a variable only the base image could define is refused.
func (a *analysis) expandMount(val string) (string, error) {
	return mounts.ExpandOptions(val, func(k, v string) (string, error) {
		x, unknown, err := words.Expand(a.lex(), v, a.cur().vars)
		if err != nil {
			return "", fmt.Errorf("%s: %v", k, err)
		}
		if len(unknown) > 0 {
			return "", fmt.Errorf("%s uses %s, which the Dockerfile does not define (ARG or ENV) before this line", k, words.Unknown(unknown))
		}
		return x, nil
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
