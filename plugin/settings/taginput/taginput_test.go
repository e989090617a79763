package taginput

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAutoTagsFollowDroneMetadata(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		suffix   string
		want     []string
		wantSkip string
	}{
		{"git tag", map[string]string{"DRONE_TAG": "v1.2.3"}, "", []string{"1", "1.2", "1.2.3"}, ""},
		{"git tag in ref", map[string]string{"DRONE_COMMIT_REF": "refs/tags/v2.1.0"}, "", []string{"2", "2.1", "2.1.0"}, ""},
		{"git tag with suffix", map[string]string{"DRONE_TAG": "v1.2.3"}, "alpine", []string{"1-alpine", "1.2-alpine", "1.2.3-alpine"}, ""},
		{"non-semver git tag", map[string]string{"DRONE_TAG": "nightly"}, "", []string{"nightly"}, ""},
		{"default branch", map[string]string{"DRONE_COMMIT_BRANCH": "trunk", "DRONE_REPO_BRANCH": "trunk"}, "", []string{"latest"}, ""},
		{"default branch with suffix", map[string]string{"DRONE_COMMIT_BRANCH": "main"}, "alpine", []string{"alpine"}, ""},
		{"feature branch", map[string]string{"DRONE_COMMIT_BRANCH": "feature/x", "DRONE_REPO_BRANCH": "main"}, "", nil, "not the default branch"},
		{"no metadata", map[string]string{}, "", nil, "neither DRONE_TAG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, skip, reason := Auto(func(k string) string { return tc.env[k] }, tc.suffix)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Error(d)
			}
			if skip != (tc.wantSkip != "") || !strings.Contains(reason, tc.wantSkip) {
				t.Errorf("skip %v %q, want %q", skip, reason, tc.wantSkip)
			}
		})
	}
}

func TestValidDropsDuplicatesAndNamesEveryBadTag(t *testing.T) {
	tags, probs := Valid([]string{"v1", "latest", "v1", "-x", "a b", strings.Repeat("a", 129)})
	if d := cmp.Diff([]string{"v1", "latest"}, tags); d != "" {
		t.Error(d)
	}
	if len(probs) != 3 {
		t.Fatalf("problems %q, want 3", probs)
	}
	for _, p := range probs {
		if !strings.HasPrefix(p, "PLUGIN_TAGS: ") {
			t.Errorf("problem without its variable: %q", p)
		}
	}
}
