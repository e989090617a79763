package mirrors

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// facts is what the front end found: the registries named, and whether
// a reference could not be resolved.
type facts struct {
	pulls   []string
	unknown bool
}

func TestPullHostsIncludeWhereEachPullCanGo(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	plan := func(base, baseUser string, mirrors ...string) *settings.Plan {
		p := &settings.Plan{Host: ecr}
		p.BaseImage.Registry, p.BaseImage.Username = base, baseUser
		p.Kaniko.RegistryMirrors = mirrors
		return p
	}
	// planMap maps from to one mirror, and has one Docker Hub mirror.
	planMap := func(from, to, hub string) *settings.Plan {
		p := plan("", "", hub)
		p.Kaniko.RegistryMaps = map[string][]string{from: {to}}
		return p
	}
	for _, tc := range []struct {
		name         string
		plan         *settings.Plan
		facts        facts
		want, mirror []string
	}{
		{"a registry map routes another registry's images, and only those",
			planMap("gcr.io", ecr+"/gcr", ecr+"/docker-hub"), facts{pulls: []string{"gcr.io"}},
			[]string{"gcr.io", ecr}, []string{ecr + "/gcr"}},
		{"Docker Hub by a registry map and a mirror",
			planMap("index.docker.io", "hub.example.com", ecr+"/docker-hub"), facts{pulls: []string{"docker.io"}},
			[]string{"docker.io", "hub.example.com", ecr}, []string{ecr + "/docker-hub"}},
		{"a Docker Hub base goes through the mirror on the push registry, under a prefix",
			plan("", "", ecr+"/docker-hub"), facts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", ecr}, []string{ecr + "/docker-hub"}},
		{"a bare-host mirror on the push registry",
			plan("", "", ecr), facts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", ecr}, []string{ecr}},
		{"mirrors serve only Docker Hub: a base elsewhere does not reach them",
			plan("", "", ecr+"/docker-hub"), facts{pulls: []string{"ghcr.io"}},
			[]string{"ghcr.io"}, nil},
		{"a mirror on the base image connector's registry gets its credentials",
			plan("https://mirror.example.com", "bob", "mirror.example.com/hub", "public-mirror.example.org"), facts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", "mirror.example.com", "public-mirror.example.org"}, []string{"mirror.example.com/hub"}},
		{"a connector without a user gives no credentials",
			plan("mirror.example.com", "", "mirror.example.com"), facts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", "mirror.example.com"}, nil},
		{"an unresolved reference may go anywhere",
			plan("https://index.docker.io/v1/", "bob", ecr+"/docker-hub"), facts{unknown: true},
			[]string{ecr, "https://index.docker.io/v1/"}, []string{ecr + "/docker-hub"}},
		{"one entry per host, Docker Hub by any name",
			plan("", "", ecr+"/a", ecr+"/b"), facts{pulls: []string{"docker.io", "index.docker.io", ecr}},
			[]string{"docker.io", ecr}, []string{ecr + "/a", ecr + "/b"}},
		{"nothing pulled, nothing written", plan("", "", ecr), facts{}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			via := Reached(tc.plan, tc.facts.pulls, tc.facts.unknown)
			got := PullHosts(tc.plan, tc.facts.pulls, tc.facts.unknown, via)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pullHosts (-want +got):\n%s", diff)
			}
			var mirrors []string
			for _, r := range Credentialed(tc.plan, via) {
				mirrors = append(mirrors, r.Mirror)
			}
			if diff := cmp.Diff(tc.mirror, mirrors); diff != "" {
				t.Errorf("credentialedMirrors (-want +got):\n%s", diff)
			}
		})
	}
}
