// Package edits rewrites a Dockerfile's text line by line, keeping every
// line that is not edited as it is.
package edits

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
)

// Edit replaces the physical lines Start..End (1-based) by Text; with End
// before Start it inserts Text as lines of their own before line Start.
type Edit struct {
	Start, End int
	Text       string
}

// Apply replaces each edited instruction by its new line and blanks
// the rest of its physical lines (continuations, comments, heredoc bodies),
// keeping every line ending. Blank lines between instructions are ignored
// by the parser, so the instructions kaniko sees keep their order and
// count, and every other line keeps its number. An edit whose end is
// before its start inserts its text as lines of their own before line
// start (the only edits that add instructions, see keepFiles).
func Apply(src []byte, edits []Edit) []byte {
	if len(edits) == 0 {
		return bytes.Clone(src)
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	var inserts []Edit
	for _, e := range edits {
		if e.End < e.Start {
			inserts = append(inserts, e)
			continue
		}
		for l := e.Start; l <= e.End && l <= len(lines); l++ {
			line := lines[l-1]
			eol := line[len(bytes.TrimRight(line, "\r\n")):]
			text := ""
			if l == e.Start {
				text = e.Text
			}
			lines[l-1] = append([]byte(text), eol...)
		}
	}
	for _, e := range inserts {
		text := []byte(e.Text + "\n")
		if e.Start > len(lines) || len(lines[e.Start-1]) == 0 {
			// After the last line, which may lack its line ending.
			last := len(lines) - 1
			if len(lines[last]) > 0 && !bytes.HasSuffix(lines[last], []byte("\n")) {
				lines[last] = append(lines[last], '\n')
			}
			lines = append(lines, text)
			continue
		}
		lines[e.Start-1] = append(text, lines[e.Start-1]...)
	}
	return bytes.Join(lines, nil)
}

// CommentLine finds the physical line of comment, one of the comments
// the parser gathered right above the instruction starting at line
// before (its text without "#" and surrounding space), or returns 0.
func CommentLine(src []byte, before int, comment string) int {
	lines := bytes.SplitAfter(src, []byte("\n"))
	for l := min(before-1, len(lines)); l >= 1; l-- {
		text := bytes.TrimSpace(lines[l-1])
		if len(text) == 0 {
			continue
		}
		if text[0] != '#' {
			return 0
		}
		if string(bytes.TrimSpace(text[1:])) == comment {
			return l
		}
	}
	return 0
}

// WithFlag is an instruction's logical line (continuations joined, as
// the parser's Original holds it) with flag ("--name=value") set, as one
// line that parses to the same instruction plus flag: an empty --name=
// among the flags written gets the value, else flag goes right after the
// instruction's name. "" for a line with no arguments.
func WithFlag(original, flag string) string {
	line := strings.TrimSpace(original)
	i := strings.IndexFunc(line, unicode.IsSpace)
	if i < 0 {
		return ""
	}
	name, _, _ := strings.Cut(flag, "=")
	for at := i; at < len(line); {
		start := at + strings.IndexFunc(line[at:], func(r rune) bool { return !unicode.IsSpace(r) })
		end := strings.IndexFunc(line[start:], unicode.IsSpace)
		if end < 0 {
			end = len(line) - start
		}
		word := line[start : start+end]
		if !strings.HasPrefix(word, "--") {
			break // the arguments start
		}
		if word == name+"=" {
			return line[:start] + flag + line[start+end:]
		}
		at = start + end
	}
	return line[:i] + " " + flag + line[i:]
}

// AbsentToken is a path element that occurs nowhere in src.
func AbsentToken(src []byte) string {
	for n := 0; ; n++ {
		t := fmt.Sprintf("kaniko-ecr-build-%d", n)
		if !bytes.Contains(src, []byte(t)) {
			return t
		}
	}
}
