package dockerfile

import (
	"fmt"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/syntax"
)

// syntax checks the # syntax= directive, which BuildKit honours and kaniko
// ignores. Docker's own front ends are read as the syntax of the parser's
// version: tags naming that version or an earlier one silently, the others
// with a notice naming the version used. What that version does not
// implement is refused instruction by instruction. Any other front end is
// refused.
func (a *analysis) syntax() {
	ref, _, loc, ok := parser.DetectSyntax(a.src)
	if !ok {
		return
	}
	switch syntax.Judge(ref) {
	case syntax.Custom:
		a.problem(rangeLine(loc), fmt.Sprintf("# syntax=%s: a custom frontend cannot run here (only Docker's own: docker/dockerfile:1, its 1.x, labs and experimental tags, docker/dockerfile-upstream)", ref))
	case syntax.AsParser:
		a.res.Notices = append(a.res.Notices, fmt.Sprintf("%s:%d: # syntax=%s: read as the Dockerfile syntax %s of this build's parser; what it does not implement is refused by line", a.opts.File, rangeLine(loc), ref, syntax.ParserVersion()))
	}
}

func rangeLine(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}
