package step

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TextProblem says why the body of heredoc h of instruction instr cannot
// travel as a process argument or through JSON unchanged; "" when it can.
func TextProblem(instr string, h Heredoc) string {
	switch {
	case !utf8.ValidString(h.Data):
		return fmt.Sprintf("%s <<%s: the heredoc is not valid UTF-8 text", strings.ToUpper(instr), h.Name)
	case strings.ContainsRune(h.Data, 0):
		return fmt.Sprintf("%s <<%s: the heredoc contains a NUL byte", strings.ToUpper(instr), h.Name)
	}
	return ""
}

// FileNameProblem refuses a heredoc name that is not a single path
// element, as a file's name: BuildKit creates a file with that name, which
// fails for them. "" when the name will do.
func FileNameProblem(instr, name string) string {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\") {
		return fmt.Sprintf("%s <<%s: a heredoc used as a file needs a plain file name", strings.ToUpper(instr), name)
	}
	return ""
}
