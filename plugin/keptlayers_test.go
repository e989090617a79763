package plugin

import (
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

type noCacheAWS struct {
	AWS
	off bool
}

func (a noCacheAWS) NoCache() bool { return a.off }

func TestLayersKanikoKeptOrCachesGoAsBuilt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cache     bool
		off       bool
		run, copy bool
		cc        bool
		want      map[string]bool
	}{
		{"no cache: every layer is compressed by the push", false, false, true, true, false,
			map[string]bool{"RUN make": false, "COPY . /src": false}},
		{"compressed caching: kaniko's bytes for every layer", false, false, true, false, true,
			map[string]bool{"RUN make": true, "COPY . /src": true}},
		{"cache refused by the AWS checks: as without cache", true, true, true, false, false,
			map[string]bool{"RUN make": false}},
		{"cache: RUN layers kept, COPY compressed by the push", true, false, true, false, false,
			map[string]bool{"RUN make": true, "COPY . /src": false, "ADD x.tgz /": false, "copy a b": false}},
		{"cache of COPY layers too", true, false, true, true, false,
			map[string]bool{"RUN make": true, "COPY . /src": true}},
		{"RUN not cached", true, false, false, false, false,
			map[string]bool{"RUN make": false}},
		{"heredocs and ADD --checksum run as RUN steps", true, false, true, false, false,
			map[string]bool{"COPY <<EOF /etc/x": true, "ADD --checksum=sha256:00 https://x/y /y": true}},
		{"a history kaniko does not write: kept", true, false, false, false, false,
			map[string]bool{"": true, "/bin/sh -c make": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &settings.Plan{Cache: tc.cache}
			p.Kaniko.CacheRunLayers, p.Kaniko.CacheCopyLayers = tc.run, tc.copy
			p.Kaniko.CompressedCaching = tc.cc
			keep := keptAsBuilt(p, noCacheAWS{off: tc.off})
			for createdBy, want := range tc.want {
				got := keep != nil && keep(createdBy)
				if got != want {
					t.Errorf("%q: kept %v, want %v", createdBy, got, want)
				}
			}
		})
	}
}

func TestOnlyCachedBuildsKeepTheCreationTimeATagHolds(t *testing.T) {
	for _, tc := range []struct {
		name                           string
		cache, off, reproducible, only bool
		want                           bool
	}{
		{"cache on", true, false, false, false, true},
		{"no cache: layers are new", false, false, false, false, false},
		{"cache refused by the AWS checks", true, true, false, false, false},
		{"reproducible: the time is zero anyway", true, false, true, false, false},
		{"push-only: the tarball is pushed as it is", true, false, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &settings.Plan{Cache: tc.cache, PushOnly: tc.only}
			p.Kaniko.Reproducible = tc.reproducible
			if got := keepsCreated(p, noCacheAWS{off: tc.off}); got != tc.want {
				t.Errorf("keepsCreated = %v, want %v", got, tc.want)
			}
		})
	}
}
