package plugin

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README says what scripts/test.sh (CI's test command) runs: the
// unit packages under the race detector, the integration tests without
// it, and staticcheck at the version it names with staticcheck.conf's
// checks.
func TestTheTestScriptRunsTheRaceDetectorAndStaticcheckAsTheREADMESays(t *testing.T) {
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	script, readme := read("../scripts/test.sh"), read("../README.md")
	for _, want := range []string{
		"unit=$(go list ./... | grep -v '/plugin/integration')",
		"go test -race -count=1 -timeout 20m $unit",
		"go test -count=1 -timeout 20m ./plugin/integration/...",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("scripts/test.sh lacks %q", want)
		}
	}
	if strings.Contains(script, "go test -count=1 -timeout 20m ./...") {
		t.Error("scripts/test.sh also runs the unit tests without the race detector")
	}
	sc := regexp.MustCompile(`go run (honnef\.co/go/tools/cmd/staticcheck@v[0-9.]+) \./\.\.\.`).FindStringSubmatch(script)
	if sc == nil {
		t.Fatal("scripts/test.sh does not run staticcheck at a pinned version over ./...")
	}
	if !strings.Contains(readme, sc[1]) {
		t.Errorf("the README does not name %s, which scripts/test.sh runs", sc[1])
	}
	if conf := read("../staticcheck.conf"); !regexp.MustCompile(`(?m)^checks = \["all"\]$`).MatchString(conf) {
		t.Error(`staticcheck.conf does not enable every check, as the README and the conf's comment say`)
	}
}
