package mounts

import (
	"slices"
	"testing"
)

func TestCheckerFillsInDispatchTargetsAndRefusesWhatTheBuildLacks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		checker Checker
		mounts  []Mount
		targets []string
		msgs    []string
	}{
		{"a targetless bind goes to the WORKDIR", Checker{Workdir: "/src"},
			[]Mount{{Type: "bind"}}, []string{"/src"}, []string{""}},
		{"without a known WORKDIR the build decides", Checker{},
			[]Mount{{Type: "cache", ID: "c"}}, []string{""}, []string{""}},
		{"nothing mounts over /", Checker{Workdir: "/"},
			[]Mount{{Type: "tmpfs"}, {Type: "bind", Target: "../.."}}, []string{"/", "../.."},
			[]string{"cannot mount over / (give a target)", "cannot mount over / (give a target)"}},
		{"ssh agents count from 0", Checker{SSH: true},
			[]Mount{{Type: "ssh", Required: true}, {Type: "ssh", Target: "/a"}, {Type: "ssh"}},
			[]string{"/run/buildkit/ssh_agent.0", "/a", "/run/buildkit/ssh_agent.2"}, []string{"", "", ""}},
		{"a required agent must be there", Checker{},
			[]Mount{{Type: "ssh", Required: true}, {Type: "ssh", Source: "x"}}, []string{"/run/buildkit/ssh_agent.0", ""},
			[]string{"required ssh agent is not available (no SSH key is configured)", "an ssh mount takes no source"}},
		{"required secrets must be given, by a plain id", Checker{Secrets: map[string]bool{"npm": true}},
			[]Mount{{Type: "secret", ID: "npm", Required: true}, {Type: "secret", ID: "pip", Required: true}, {Type: "secret", ID: "$X", Required: true}, {Type: "secret", ID: "pip"}},
			[]string{"", "", "", ""},
			[]string{"", `required secret "pip" is not provided`, "a required secret's id cannot use a variable or quotes (it is checked before the build)", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.checker
			for i := range tc.mounts {
				m := tc.mounts[i]
				if msg := c.Check(&m); msg != tc.msgs[i] || m.Target != tc.targets[i] {
					t.Errorf("mount %d: got %q, target %q; want %q, target %q", i, msg, m.Target, tc.msgs[i], tc.targets[i])
				}
			}
		})
	}
}

func TestOutermostKeepsNoPathUnderAnother(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"/a/b", "/a", "/c", "/a/b/c", "/c"}, []string{"/a", "/c"}},
		{[]string{"/ab", "/a"}, []string{"/a", "/ab"}},
		{[]string{"/x", "/"}, []string{"/"}},
		{nil, nil},
	} {
		if got := Outermost(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Outermost(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
