package help

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the repository, from this package's directory.
const repoRoot = "../../.."

// docFiles are the Markdown pages a user reads: README.md and docs/*.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(repoRoot, "README.md")}, files...)
}

var (
	fence   = regexp.MustCompile("(?s)```.*?```")
	heading = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	plugin  = regexp.MustCompile(`\bPLUGIN_[A-Z0-9_]*\*?`)
)

// anchors are the ids GitHub gives a page's headings: lower case, spaces
// to hyphens, punctuation other than hyphens and underscores dropped, and
// -1, -2 ... after a repeated one.
func anchors(page string) map[string]bool {
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(fence.ReplaceAllString(page, ""), -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				b.WriteRune(r)
			}
		}
		id := b.String()
		for n := 1; out[id]; n++ {
			id = b.String() + "-" + strconv.Itoa(n)
		}
		out[id] = true
	}
	return out
}

// Every relative link and #anchor in the README and the docs resolves.
func TestDocsLinksAndAnchorsResolve(t *testing.T) {
	pages := map[string]string{}
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pages[filepath.Clean(f)] = string(b)
	}
	for file, page := range pages {
		for _, m := range mdLink.FindAllStringSubmatch(fence.ReplaceAllString(page, ""), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Clean(filepath.Join(filepath.Dir(file), path))
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %q: %s does not exist", rel(file), target, rel(dest))
					continue
				}
			}
			if anchor == "" {
				continue
			}
			body, ok := pages[dest]
			if !ok {
				t.Errorf("%s: link %q: an anchor into a page that is not Markdown", rel(file), target)
				continue
			}
			if !anchors(body)[anchor] {
				t.Errorf("%s: link %q: %s has no heading with that anchor", rel(file), target, rel(dest))
			}
		}
	}
}

// droppedNames are PLUGIN_* names the docs may mention although no
// setting reads them (another tool's names the docs compare with); none
// today: every drop-in name of plugins/kaniko-ecr is read.
var droppedNames []string

// Every PLUGIN_* name in the README and the docs is a setting or an alias
// of one (or a prefix written as PLUGIN_X_*), so no page tells users to set
// a variable that nothing reads.
func TestDocsNameOnlyKnownSettings(t *testing.T) {
	known := knownNames()
	for _, f := range docFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range plugin.FindAllString(string(b), -1) {
			if prefix, ok := strings.CutSuffix(name, "*"); ok || strings.HasSuffix(name, "_") {
				prefix = strings.TrimSuffix(name, "*")
				if !slices.ContainsFunc(known, func(k string) bool { return strings.HasPrefix(k, prefix) }) {
					t.Errorf("%s: %s matches no setting", rel(f), name)
				}
				continue
			}
			if !slices.Contains(known, name) && !slices.Contains(droppedNames, name) {
				t.Errorf("%s: %s is not a setting (plugin/settings/settings.go) nor an alias", rel(f), name)
			}
		}
	}
}

func rel(p string) string { return strings.TrimPrefix(filepath.ToSlash(p), repoRoot+"/") }

// readmeMaxLines keeps the README a front door: the manual lives in docs/.
const readmeMaxLines = 300

// The README stays short and links to every page of docs/, so a newcomer
// finds each topic from it.
func TestREADMEIsShortAndLinksEveryDocsPage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	if n := strings.Count(readme, "\n"); n > readmeMaxLines {
		t.Errorf("README.md has %d lines, more than %d: move the detail to a page in docs/", n, readmeMaxLines)
	}
	linked := map[string]bool{}
	for _, m := range mdLink.FindAllStringSubmatch(fence.ReplaceAllString(readme, ""), -1) {
		path, _, _ := strings.Cut(m[1], "#")
		linked[filepath.Clean(path)] = true
	}
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if name := "docs/" + filepath.Base(p); !linked[name] {
			t.Errorf("README.md does not link to %s", name)
		}
	}
}
