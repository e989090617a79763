package dockerfile

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/syntax"
)

func TestDockersOwnFrontEndsAreReadAsTheParsersVersionWithANotice(t *testing.T) {
	if !regexp.MustCompile(`^1\.[0-9]+$`).MatchString(syntax.ParserVersion()) {
		t.Fatalf("syntax.ParserVersion() = %q", syntax.ParserVersion())
	}
	cases := []struct {
		ref    string
		notice bool
	}{
		{"docker/dockerfile-upstream:master", true},
		{"docker/dockerfile-upstream:master-labs", true},
		{"docker/dockerfile-upstream:1.7.0@sha256:" + strings.Repeat("0a", 32), true},
		{"docker/dockerfile:labs", true},
		{"docker/dockerfile:experimental", true},
		{"docker/dockerfile:1.7-labs", true},
		{"docker/dockerfile:1.999", true},
		{"docker/dockerfile:1", false},
		{"docker/dockerfile:1.4", false},
		{"docker/dockerfile", false},
	}
	for _, c := range cases {
		res, probs := Analyze([]byte("# syntax="+c.ref+"\nFROM alpine\nRUN <<EOF\necho hi\nEOF\n"), testOpts())
		if len(probs) != 0 {
			t.Errorf("%s: problems:\n%s", c.ref, messages(probs))
			continue
		}
		got := strings.Join(res.Notices, "\n")
		want := "Dockerfile:1: # syntax=" + c.ref + ": read as the Dockerfile syntax " + syntax.ParserVersion()
		if c.notice != strings.Contains(got, want) || !c.notice && got != "" {
			t.Errorf("%s: notices %q, want notice: %v", c.ref, got, c.notice)
		}
	}
}

func TestLabsSyntaxTheParsersVersionLacksIsStillRefusedByLine(t *testing.T) {
	_, probs := Analyze([]byte("# syntax=docker/dockerfile-upstream:master-labs\nFROM alpine\nRUN --security=insecure ls\n"), testOpts())
	if !strings.Contains(messages(probs), "Dockerfile:3: RUN --security=insecure: cannot grant extra privileges here") {
		t.Errorf("problems:\n%s", messages(probs))
	}
}
