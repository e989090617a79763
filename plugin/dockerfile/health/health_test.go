package health

import (
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func TestTheTargetsLastHealthcheckDecidesItsStartInterval(t *testing.T) {
	for _, tc := range []struct {
		name, dockerfile, target string
		want                     Check
	}{
		{"no healthcheck: the base image's stands", "FROM alpine\nRUN true", "", Check{Inherited: true}},
		{"set here", "FROM alpine\nHEALTHCHECK --start-interval=2s CMD true", "", Check{StartInterval: 2 * time.Second}},
		{"a later healthcheck without it clears it", "FROM alpine\nHEALTHCHECK --start-interval=2s CMD true\nHEALTHCHECK CMD false", "", Check{}},
		{"NONE clears it", "FROM alpine\nHEALTHCHECK --start-interval=2s CMD true\nHEALTHCHECK NONE", "", Check{}},
		{"a stage built on a stage inherits it", "FROM alpine AS a\nHEALTHCHECK --start-interval=3s CMD true\nFROM A\nRUN true", "", Check{StartInterval: 3 * time.Second}},
		{"a stage built on an image does not", "FROM alpine AS a\nHEALTHCHECK --start-interval=3s CMD true\nFROM alpine\nRUN true", "", Check{Inherited: true}},
		{"the target, not the last stage", "FROM alpine AS a\nHEALTHCHECK --start-interval=4s CMD true\nFROM alpine AS b", "A", Check{StartInterval: 4 * time.Second}},
		{"an unknown target is the last stage", "FROM alpine AS a\nHEALTHCHECK --start-interval=4s CMD true", "zz", Check{StartInterval: 4 * time.Second}},
		{"a faulty instruction is skipped", "FROM alpine\nHEALTHCHECK --start-interval=bogus CMD true", "", Check{Inherited: true}},
		{"no stage at all", "ARG X", "", Check{Inherited: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ast, err := parser.Parse(strings.NewReader(tc.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			if got := Of(ast.AST, tc.target); got != tc.want {
				t.Errorf("Of = %+v, want %+v", got, tc.want)
			}
		})
	}
}
