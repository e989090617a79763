// Package words processes Dockerfile words as BuildKit does: quotes,
// escapes and the expansion of build variables, with BuildKit's own shell
// lexer.
package words

import "github.com/moby/buildkit/frontend/dockerfile/shell"

// Lexer is BuildKit's lexer for a Dockerfile's escape character (the
// escape directive; \ when escape is not a single character).
func Lexer(escape string) *shell.Lex {
	esc := '\\'
	if r := []rune(escape); len(r) == 1 {
		esc = r[0]
	}
	return shell.NewLex(esc)
}
