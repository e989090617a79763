package redact

import (
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("AKIAREALSECRET")
	for _, out := range []string{s.String(), s.GoString()} {
		if strings.Contains(out, "REALSECRET") {
			t.Errorf("secret printed: %s", out)
		}
	}
	b, _ := s.MarshalText()
	if strings.Contains(string(b), "REALSECRET") {
		t.Errorf("secret marshalled: %s", b)
	}
	if s.Reveal() != "AKIAREALSECRET" {
		t.Error("Reveal lost the value")
	}
}

func TestHookMasksEverySecretInMessagesAndFields(t *testing.T) {
	h := &Hook{}
	h.Add("AKIAREALSECRET", "abc") // too short to mask: ordinary words would go too
	e := &logrus.Entry{Message: "key AKIAREALSECRET and abc", Data: logrus.Fields{"err": errString("bad AKIAREALSECRET")}}
	if err := h.Fire(e); err != nil {
		t.Fatal(err)
	}
	if e.Message != "key [redacted] and abc" {
		t.Errorf("message %q", e.Message)
	}
	if got := e.Data["err"]; got != "bad [redacted]" {
		t.Errorf("field %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
