package words

import (
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Vars are the build variables known before the build in one stage: the
// ARGs it declares (with the build args given) and its ENV values. A base
// image's ENV is known only during the build.
type Vars struct {
	args map[string]string
	env  map[string]string
}

// Clone copies v; ENV values carry over to a stage built on another one,
// ARGs do not.
func (v Vars) Clone(withArgs bool) Vars {
	out := Vars{args: map[string]string{}, env: map[string]string{}}
	for k, x := range v.env {
		out.env[k] = x
	}
	if withArgs {
		for k, x := range v.args {
			out.args[k] = x
		}
	}
	return out
}

// SetArg and SetEnv record an ARG or ENV value.
func (v *Vars) SetArg(k, x string) {
	if v.args == nil {
		v.args = map[string]string{}
	}
	v.args[k] = x
}

// SetEnv records an ENV value, which wins over an ARG of the same name.
func (v *Vars) SetEnv(k, x string) {
	if v.env == nil {
		v.env = map[string]string{}
	}
	v.env[k] = x
}

// Get looks a variable up as BuildKit does: ENV first, then ARG.
func (v Vars) Get(k string) (string, bool) {
	if x, ok := v.env[k]; ok {
		return x, true
	}
	x, ok := v.args[k]
	return x, ok
}

// Keys lists the known variables.
func (v Vars) Keys() []string {
	var out []string
	for k := range v.args {
		if _, ok := v.env[k]; !ok {
			out = append(out, k)
		}
	}
	for k := range v.env {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Expand processes word as BuildKit does (quotes, escapes, variables) with
// the known variables. unknown lists the variables it names that are not
// known before the build, which expand to nothing here.
func Expand(lex *shell.Lex, word string, v Vars) (result string, unknown []string, err error) {
	res, err := lex.ProcessWordWithMatches(word, v)
	if err != nil {
		return "", nil, err
	}
	for k := range res.Unmatched {
		unknown = append(unknown, "$"+k)
	}
	sort.Strings(unknown)
	return res.Result, unknown, nil
}

// Unknown formats a list of unknown variables for a message.
func Unknown(names []string) string { return strings.Join(names, ", ") }
