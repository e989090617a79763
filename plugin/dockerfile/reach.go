package dockerfile

import (
	"bytes"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/reach"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/words"
)

// reachStages marks the stages the target needs (package reach), with the
// global ARGs read first, as the FROMs see them. With Options.AllStages
// every stage counts: the result is nil.
func (a *analysis) reachStages(ast *parser.Node) []bool {
	if a.opts.AllStages {
		return nil
	}
	a.readMeta(ast)
	reached := reach.Stages(ast, a.opts.Target, a.expandMeta)
	a.meta = nil // the main pass reads the global ARGs again, in order
	return reached
}

// readMeta reads the global ARGs ahead of the main pass.
func (a *analysis) readMeta(ast *parser.Node) {
	for _, n := range ast.Children {
		if !strings.EqualFold(n.Value, "arg") {
			break
		}
		if c, err := instructions.ParseInstructionWithLinter(n, linter.New(&linter.Config{})); err == nil {
			if ac, ok := c.(*instructions.ArgCommand); ok {
				a.metaArg(ac)
			}
		}
	}
}

// expandMeta expands a word with the global ARGs and the build args, as
// a FROM is expanded; a word that does not expand stays as written.
func (a *analysis) expandMeta(word string) string {
	res, err := a.lexMeta(word)
	if err != nil {
		return word
	}
	return res.Result
}

// lexMeta expands a word with BuildKit's word processing, the
// Dockerfile's escape character, the global ARGs (build args given for
// them win) and extra NAME=value pairs under them.
func (a *analysis) lexMeta(word string, extra ...string) (shell.ProcessWordResult, error) {
	env := extra
	for k, v := range a.meta {
		env = append(env, k+"="+v)
	}
	return words.Lexer(a.escape).ProcessWordWithMatches(word, shell.EnvsFromSlice(env))
}

// unused reports whether the stage being read is one the target does not
// need: what it holds cannot fail the build, and it pulls nothing.
func (a *analysis) unused() bool {
	i := len(a.stages) - 1
	return a.reached != nil && i >= 0 && i < len(a.reached) && !a.reached[i]
}

// pruneStages empties each stage the target does not need (see
// reach.Prune) and drops what was pending in it.
func (a *analysis) pruneStages(ast *parser.Node) {
	if a.reached == nil {
		return
	}
	for _, e := range reach.Prune(ast, a.reached, bytes.Count(a.src, []byte("\n"))+1) {
		a.edits = append(a.edits, e)
		kept := a.pending[:0]
		for _, r := range a.pending {
			if r.line < e.Start || r.line > e.End {
				kept = append(kept, r)
			}
		}
		a.pending = kept
	}
}
