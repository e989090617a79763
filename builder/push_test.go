package builder

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestWithoutDropsTheSkippedDestinations(t *testing.T) {
	dests := []string{"r.example/app:v1", "r.example/app:v2", "r.example/app:latest"}
	tags, err := parseTags(dests)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ts []name.Tag) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.TagStr())
		}
		return out
	}
	for _, tc := range []struct {
		skip []string
		want []string
	}{
		{nil, []string{"v1", "v2", "latest"}},
		{[]string{"r.example/app:v2"}, []string{"v1", "latest"}},
		{dests, nil},
	} {
		if d := cmp.Diff(tc.want, names(without(tags, dests, tc.skip))); d != "" {
			t.Errorf("skip %v (-want +got):\n%s", tc.skip, d)
		}
	}
}
