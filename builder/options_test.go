package builder

import (
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin"
)

func testSpec() plugin.BuildSpec {
	return plugin.BuildSpec{
		Dockerfile:   "/harness/Dockerfile",
		Context:      "/harness",
		Destinations: []string{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.3", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"},
		BuildArgs:    []string{"BASE_IMAGE=busybox", "VERSION=1.2.3"},
		Labels:       []string{"org.opencontainers.image.title=app"},
		SnapshotMode: "redo",
		PushRetry:    3,
	}
}

func TestOptionsDefaults(t *testing.T) {
	o, err := Options(testSpec())
	if err != nil {
		t.Fatal(err)
	}
	if o.CompressedCaching {
		t.Error("CompressedCaching is on: every compressed layer would be held in memory")
	}
	if !o.CacheRunLayers || !o.IgnoreVarRun || o.CacheTTL != defaultCacheTTL || o.SnapshotMode != "redo" {
		t.Errorf("kaniko CLI defaults lost: CacheRunLayers %v, IgnoreVarRun %v, CacheTTL %s, SnapshotMode %q",
			o.CacheRunLayers, o.IgnoreVarRun, o.CacheTTL, o.SnapshotMode)
	}
	if len(o.Destinations) != 2 || len(o.BuildArgs) != 2 || len(o.Labels) != 1 {
		t.Errorf("lists: %d destinations, %d build args, %d labels; want 2, 2, 1", len(o.Destinations), len(o.BuildArgs), len(o.Labels))
	}
	spec := testSpec()
	spec.SnapshotMode, spec.CacheTTL = "", time.Hour
	if o, err = Options(spec); err != nil {
		t.Fatal(err)
	}
	if o.SnapshotMode != "redo" || o.CacheTTL != time.Hour {
		t.Errorf("empty snapshot mode gave %q, want redo; TTL %s, want 1h", o.SnapshotMode, o.CacheTTL)
	}
}

func BenchmarkOptions(b *testing.B) {
	spec := testSpec()
	for b.Loop() {
		if _, err := Options(spec); err != nil {
			b.Fatal(err)
		}
	}
}
