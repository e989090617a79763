package help

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

func TestUnknownVariablesAreNamedWithSuggestions(t *testing.T) {
	w := Unknown([]string{"PLUGIN_REPO=x", "PLUGIN_TAG=v1", "PLUGIN_COMPLETELY_DIFFERENT_THING=1", "HOME=/root"})
	for _, want := range []string{"PLUGIN_TAG (did you mean PLUGIN_TAGS?)", "PLUGIN_COMPLETELY_DIFFERENT_THING"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	if strings.Contains(w, "PLUGIN_REPO") {
		t.Errorf("known variable named: %q", w)
	}
	if Unknown([]string{"PLUGIN_LABELS=a=b"}) != "" {
		t.Error("an alias is reported as unknown")
	}
}

// The full settings table lives in docs/settings.md, generated from the
// struct tags; the test keeps the name it had when the table was in the
// README, so `UPDATE_README=1 go test ./plugin/settings/help -run README`
// still regenerates it.
func TestREADMESettingsTableMatchesTheSettingsStruct(t *testing.T) {
	page := filepath.Join(repoRoot, "docs", "settings.md")
	raw, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
	s := string(raw)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("docs/settings.md lacks the settings markers")
	}
	if got := s[i+len(begin) : j]; got != Table() {
		if os.Getenv("UPDATE_README") == "1" {
			s = s[:i+len(begin)] + Table() + s[j:]
			if err := os.WriteFile(page, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("docs/settings.md settings table is stale: run UPDATE_README=1 go test ./plugin/settings/help -run README")
	}
	for _, in := range settings.Infos() {
		if in.Seed == "" || in.Desc == "" {
			t.Errorf("%s lacks a seed or desc tag", in.Env)
		}
	}
}
