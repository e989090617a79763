package step

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

func TestIDIsTheSHA256OfTheJSONWithoutTheID(t *testing.T) {
	s := Step{Kind: "run", Line: 3, Args: []string{"/bin/sh", "-c", "make"}}
	js, _ := json.Marshal(s)
	sum := sha256.Sum256(js)
	s.ID = "anything"
	if got := ID(s); got != hex.EncodeToString(sum[:]) {
		t.Errorf("id %s", got)
	}
	s.Args[2] = "make all"
	if ID(s) == hex.EncodeToString(sum[:]) {
		t.Error("the id did not change with the step")
	}
}

func TestRunLineIsAnExecFormRunKanikoCanParse(t *testing.T) {
	line, ok := RunLine([]string{"/bin/sh", "-c", "a < b && c > d\n"})
	if !ok || line != `RUN ["/bin/sh","-c","a < b && c > d\n"]` {
		t.Errorf("%v %s", ok, line)
	}
	if _, ok := RunLine([]string{strings.Repeat("x", maxLine)}); ok {
		t.Error("a line longer than the parser reads is accepted")
	}
}

func TestPortableRefusesWhatJSONOrExecWouldChange(t *testing.T) {
	for _, tc := range []struct {
		s    Step
		want bool
	}{
		{Step{Args: []string{"echo", "héllo"}}, true},
		{Step{Args: []string{"echo", "\xff"}}, false},
		{Step{Heredocs: []Heredoc{{Name: "EOF", Data: "a\x00b"}}}, false},
	} {
		if got := Portable(tc.s); got != tc.want {
			t.Errorf("Portable(%+v) = %v", tc.s, got)
		}
	}
}
