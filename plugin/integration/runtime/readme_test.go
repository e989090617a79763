package runtime

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeBlock returns the first fenced code block of README.md whose first
// line starts with prefix.
func readmeBlock(t *testing.T, prefix string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		if strings.HasPrefix(m[1], prefix) {
			return m[1]
		}
	}
	t.Fatalf("README.md has no code block starting with %q", prefix)
	return ""
}

// shellWords splits a command line as the shell would for the README's
// examples: backslash-newline joins lines, double quotes group, $PWD
// expands to pwd.
func shellWords(line, pwd string) []string {
	line = strings.ReplaceAll(line, "\\\n", " ")
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case !quoted && (r == ' ' || r == '\t' || r == '\n'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "$PWD", pwd)
	}
	return words
}

// readmeTable returns the rows of the Markdown table that follows the line
// marker in README.md, each a map from column header to cell (backticks
// removed).
func readmeTable(t *testing.T, marker string) []map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), marker)
	if !ok {
		t.Fatalf("README.md lacks %q", marker)
	}
	var header []string
	var rows []map[string]string
	for _, line := range strings.Split(after, "\n")[1:] {
		line = strings.TrimSpace(line)
		if line == "" && header == nil {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		switch {
		case header == nil:
			header = cells
		case strings.HasPrefix(cells[0], "---"):
		default:
			row := map[string]string{}
			for i, h := range header {
				if i < len(cells) {
					row[h] = cells[i]
				}
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		t.Fatalf("README.md: no table after %q", marker)
	}
	return rows
}
