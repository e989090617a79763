package dockerfile

import (
	"bytes"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
)

// namedContexts rewrites the uses of Options.Contexts (package named) and
// reads the Dockerfile again as kaniko will see it; its lines keep their
// numbers. The history gets the instructions back as written (plan).
func (a *analysis) namedContexts(ast *parser.Result) *parser.Result {
	a.readMeta(ast.AST)
	rw, probs := named.Apply(a.src, ast.AST, a.opts.Contexts, a.expandMeta, nil)
	a.meta = nil // the main pass reads the global ARGs again, in order
	for _, p := range probs {
		a.refuse(p.Line, p.Msg)
	}
	src := edits.Apply(a.src, rw.Edits)
	next, err := parser.Parse(bytes.NewReader(src))
	if len(rw.Edits) == 0 || err != nil {
		return ast
	}
	a.restore, a.src = named.Restore(ast.AST, next.AST, rw.Uses), src
	return next
}
