package main

import (
	"slices"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/benchtool/split"
)

// The report lists every part a rule can give, so no row drops to the end.
func TestEveryPartHasItsPlaceInTheReport(t *testing.T) {
	for _, p := range split.Parts() {
		if !slices.Contains(partOrder, p) {
			t.Errorf("part %q is not in partOrder", p)
		}
	}
}
