package settings

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/semver"
)

// FuzzValidateTags: whatever PLUGIN_TAGS holds, validation either rejects
// it naming PLUGIN_TAGS or yields only valid, distinct docker tags.
func FuzzValidateTags(f *testing.F) {
	for _, s := range []string{"v1,latest", `["a b"]`, "-x", "v1.2.3", strings.Repeat("a", 129)} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, expand bool) {
		var s Settings
		_ = s.Tags.Decode(raw)
		s.ExpandTag.V = expand
		s.Repo = "team/app"
		var probs []string
		p := &Plan{Host: testRegistry}
		p.Tags = resolveTags(&s, Env{Lookup: func(k string) (string, bool) { return raw, k == "PLUGIN_TAGS" }}, p, func(f string, a ...any) { probs = append(probs, f) })
		validateRepoAndTags(&s, p, func(f string, a ...any) { probs = append(probs, fmt.Sprintf(f, a...)) })
		seen := map[string]bool{}
		for _, tg := range p.Tags {
			if !semver.TagRE.MatchString(tg) || seen[tg] {
				t.Fatalf("accepted tag %q from %q", tg, raw)
			}
			seen[tg] = true
		}
		for _, pr := range probs {
			if !strings.HasPrefix(pr, "PLUGIN_") {
				t.Fatalf("problem without its variable: %q", pr)
			}
		}
	})
}

// FuzzBuildArgs: accepted build args are NAME=value with a valid name, and
// the value of an item reaches kaniko unchanged.
func FuzzBuildArgs(f *testing.F) {
	for _, s := range []string{"A=1", "A=x,B=y", `["A=a,b"]`, "A", "=x", "A=\"q\" 'r' = s"} {
		f.Add(s, "K=v;L=w,x")
	}
	f.Fuzz(func(t *testing.T, list, semi string) {
		var s Settings
		_ = s.BuildArgs.Decode(list)
		_ = s.BuildArgsNew.Decode(semi)
		p := &Plan{}
		validateBuildArgs(&s, Env{Lookup: func(string) (string, bool) { return "", false }}, p, func(string, ...any) {})
		for _, a := range p.BuildArgs {
			k, _, ok := strings.Cut(a, "=")
			if !ok || !buildArgKeyR.MatchString(k) {
				t.Fatalf("accepted %q", a)
			}
		}
	})
}
