package plugin

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

func TestPullHostsIncludeWhereEachPullCanGo(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	plan := func(base, baseUser string, mirrors ...string) *settings.Plan {
		p := &settings.Plan{Host: ecr}
		p.BaseImage.Registry, p.BaseImage.Username = base, baseUser
		p.Kaniko.RegistryMirrors = mirrors
		return p
	}
	for _, tc := range []struct {
		name         string
		plan         *settings.Plan
		facts        buildFacts
		want, mirror []string
	}{
		{"a Docker Hub base goes through the mirror on the push registry, under a prefix",
			plan("", "", ecr+"/docker-hub"), buildFacts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", ecr}, []string{ecr + "/docker-hub"}},
		{"a bare-host mirror on the push registry",
			plan("", "", ecr), buildFacts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", ecr}, []string{ecr}},
		{"mirrors serve only Docker Hub: a base elsewhere does not reach them",
			plan("", "", ecr+"/docker-hub"), buildFacts{pulls: []string{"ghcr.io"}},
			[]string{"ghcr.io"}, nil},
		{"a mirror on the base image connector's registry gets its credentials",
			plan("https://mirror.example.com", "bob", "mirror.example.com/hub", "public-mirror.example.org"), buildFacts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", "mirror.example.com", "public-mirror.example.org"}, []string{"mirror.example.com/hub"}},
		{"a connector without a user gives no credentials",
			plan("mirror.example.com", "", "mirror.example.com"), buildFacts{pulls: []string{"index.docker.io"}},
			[]string{"index.docker.io", "mirror.example.com"}, nil},
		{"an unresolved reference may go anywhere",
			plan("https://index.docker.io/v1/", "bob", ecr+"/docker-hub"), buildFacts{unknown: true},
			[]string{ecr, "https://index.docker.io/v1/"}, []string{ecr + "/docker-hub"}},
		{"one entry per host, Docker Hub by any name",
			plan("", "", ecr+"/a", ecr+"/b"), buildFacts{pulls: []string{"docker.io", "index.docker.io", ecr}},
			[]string{"docker.io", ecr}, []string{ecr + "/a", ecr + "/b"}},
		{"nothing pulled, nothing written", plan("", "", ecr), buildFacts{}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pullHosts(tc.plan, tc.facts)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pullHosts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.mirror, credentialedMirrors(tc.plan, got)); diff != "" {
				t.Errorf("credentialedMirrors (-want +got):\n%s", diff)
			}
		})
	}
}
