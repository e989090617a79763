package dockerfile

import (
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
)

// namedContexts rewrites the uses of Options.Contexts (package named) and
// reads the Dockerfile as kaniko will see it; what Analyze finds in it is
// given the lines of the Dockerfile as written (unshift), and the history
// the instructions as written (plan).
func (a *analysis) namedContexts(ast *parser.Result) *parser.Result {
	a.readMeta(ast.AST)
	rw := named.Apply(a.src, ast, named.Options{Contexts: a.opts.Contexts, Expand: a.expandMeta, File: a.opts.File, Helper: a.opts.Helper, StepDir: a.opts.StepDir})
	a.meta = nil // the main pass reads the global ARGs again, in order
	for _, p := range rw.Problems {
		a.refuse(p.Line, p.Msg)
	}
	a.src, a.named, a.res.Steps = rw.Src, rw, rw.Steps
	return rw.AST
}

// unshift gives what Analyze found the lines of the Dockerfile as written.
func (a *analysis) unshift() {
	named.Lines(a.named.Shift, a.problems, func(p *Problem) *int { return &p.Line })
	named.Lines(a.named.Shift, a.res.Warnings, func(p *Problem) *int { return &p.Line })
	named.Lines(a.named.Shift, a.res.Steps, func(s *Step) *int { return &s.Line })
	named.Lines(a.named.Shift, a.res.Runs, func(r *StageRun) *int { return &r.Line })
}
