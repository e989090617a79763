package dockerfile

import (
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/copyflags"
)

// pick turns COPY --parents and COPY or ADD --exclude into a step (see
// package copyflags). A stage it copies from is kept whole at its end.
func (a *analysis) pick(n *parser.Node, sd instructions.SourcesAndDest, from string, parents bool, exclude []string, chmod, chown string, ok bool) bool {
	st := a.newStep(n, "pick")
	st.Sources, st.Parents, st.Exclude, st.Add = sd.SourcePaths, parents, exclude, strings.EqualFold(n.Value, "add") && !slices.ContainsFunc(flagValues(n, "unpack"), isFalse)
	st.Dest, st.Chmod, st.Chown = sd.DestPath, chmod, chown
	msgs := copyflags.Check(&st, len(sd.SourceContents), from, a.names[:len(a.stages)-1], a.word)
	for _, msg := range msgs {
		a.problem(n.StartLine, msg)
	}
	if ok && len(msgs) == 0 {
		if i := st.FromStage; i != nil && !a.unused() {
			a.stages[*i].kept = append(a.stages[*i].kept, "/")
		}
		a.pending = append(a.pending, rewrite{line: n.StartLine, end: n.EndLine, step: st})
	}
	return true
}

// isFalse is a boolean flag's false, in any case, as BuildKit reads it.
func isFalse(v string) bool { return strings.EqualFold(v, "false") }
