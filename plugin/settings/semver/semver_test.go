package semver

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpandSemverGivesTheUsualTags(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"v1.2.3", []string{"1", "1.2", "1.2.3"}, true},
		{"1.2.3", []string{"1", "1.2", "1.2.3"}, true},
		{"v0.4.1", []string{"0.4", "0.4.1"}, true},
		{"v2.0", []string{"2", "2.0"}, true},
		{"v3", []string{"3"}, true},
		{"v1.2.3-rc.1", []string{"1.2.3-rc.1"}, true},
		{"1.2.3+build.7", []string{"1.2.3_build.7"}, true},
		{"release-2024", nil, false},
		{"v01.2.3", nil, false},
		{"latest", nil, false},
	} {
		got, ok := Expand(tc.in)
		if ok != tc.ok || !cmp.Equal(got, tc.want) {
			t.Errorf("Expand(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzExpandSemver(f *testing.F) {
	for _, s := range []string{"v1.2.3", "0.1", "1.2.3-rc1+b", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, ok := Expand(s)
		if !ok {
			return
		}
		for _, tg := range tags {
			if !TagRE.MatchString(tg) {
				t.Fatalf("Expand(%q) made invalid tag %q", s, tg)
			}
		}
	})
}

func TestTooLongVersionsAreNotExpanded(t *testing.T) {
	long := "1.2.3+" + strings.Repeat("0", 130)
	if tags, ok := Expand(long); ok {
		t.Errorf("expandSemver made %q from a version no tag can hold", tags)
	}
}
