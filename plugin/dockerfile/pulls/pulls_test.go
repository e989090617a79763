package pulls

import (
	"errors"
	"reflect"
	"testing"
)

func TestImageRecordsEachRegistryOnceAndUnknownReferences(t *testing.T) {
	stage := func(n string) bool { return n == "build" }
	cases := []struct {
		name    string
		refs    []string
		err     error
		want    []string
		unknown bool
	}{
		{name: "docker hub and a private registry, each once", refs: []string{"alpine:3.20", "registry.example:5000/app/base@sha256:" + hex64, "library/alpine", "registry.example:5000/other"}, want: []string{"index.docker.io", "registry.example:5000"}},
		{name: "scratch and stages pull nothing, in any case", refs: []string{"scratch", "SCRATCH", "build", "Build"}},
		{name: "an empty reference may be anything", refs: []string{""}, unknown: true},
		{name: "an unparsable reference may be anything", refs: []string{"Not A Reference"}, unknown: true},
		{name: "a reference that does not expand may be anything", refs: []string{"${X"}, err: errors.New("bad substitution"), unknown: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s Set
			for _, r := range tc.refs {
				s.Image(r, tc.err, stage)
			}
			if !reflect.DeepEqual(s.Registries, tc.want) || s.Unknown != tc.unknown {
				t.Errorf("registries %q unknown %v, want %q %v", s.Registries, s.Unknown, tc.want, tc.unknown)
			}
		})
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestIsImageTellsImagesFromStagesByNameOrIndex(t *testing.T) {
	stage := func(n string) bool { return n == "build" }
	for from, want := range map[string]bool{"": false, "0": false, "12": false, "build": false, "BUILD": false, "alpine": true, "registry.example/app:1": true, "-1x": true} {
		if got := IsImage(from, stage); got != want {
			t.Errorf("IsImage(%q) = %v, want %v", from, got, want)
		}
	}
}
