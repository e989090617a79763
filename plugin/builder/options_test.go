package builder

import (
	"strings"
	"testing"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

func TestOptionsCarryTheSpecAndKanikoCLIDefaults(t *testing.T) {
	spec := Spec{
		Dockerfile:         "/harness/Dockerfile",
		Context:            "/harness",
		Destinations:       []string{"r.example/app:v1", "r.example/app:latest"},
		BuildArgs:          []string{"A=1,2", "B=x y"},
		Labels:             []string{"team=core"},
		Target:             "final",
		SnapshotMode:       "redo",
		Cache:              true,
		CacheRepo:          "r.example/cache",
		CacheTTL:           6 * time.Hour,
		PushRetry:          3,
		ImageDownloadRetry: 2,
		Platform:           "linux/arm64",
		Flags: settings.KanikoFlags{
			CacheRunLayers: true, CompressedCaching: true, Reproducible: true, SkipTLSVerify: true,
			RegistryMirrors:      []string{"mirror.example"},
			RegistryCertificates: map[string]string{"r.example": "/certs/r.pem"},
			IgnorePaths:          []string{"/var/cache"},
		},
	}
	o, err := Options(spec)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"dockerfile", o.DockerfilePath, spec.Dockerfile},
		{"context", o.SrcContext, spec.Context},
		{"destinations", []string(o.Destinations), spec.Destinations},
		{"build args", []string(o.BuildArgs)[:len(spec.BuildArgs)], spec.BuildArgs},
		{"labels", []string(o.Labels), spec.Labels},
		{"target", o.Target, "final"},
		{"snapshot", o.SnapshotMode, "redo"},
		{"cache", o.Cache, true},
		{"cache repo", o.CacheRepo, "r.example/cache"},
		{"cache ttl", o.CacheTTL, 6 * time.Hour},
		{"push retry", o.PushRetry, 3},
		{"download retry", o.ImageDownloadRetry, 2},
		{"platform", o.CustomPlatform, "linux/arm64"},
		{"cache run layers", o.CacheRunLayers, true},
		{"compressed caching", o.CompressedCaching, true},
		{"reproducible", o.Reproducible, true},
		{"skip tls verify", o.SkipTLSVerify, true},
		// The library reads only RegistryMaps: mirrors must land there.
		{"mirrors", o.RegistryMaps["index.docker.io"], []string{"mirror.example"}},
		{"certificates", o.RegistriesCertificates["r.example"], "/certs/r.pem"},
		{"ignore paths", []string(o.IgnorePaths), []string{"/var/cache"}},
		// kaniko CLI defaults that an empty KanikoOptions would lack.
		{"ignore /var/run", o.IgnoreVarRun, true},
		{"cache dir", o.CacheDir, "/cache"},
		{"kaniko dir", o.KanikoDir, "/kaniko"},
		{"compression level", o.CompressionLevel, -1},
	}
	for _, c := range checks {
		if d := cmp.Diff(c.want, c.got); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, d)
		}
	}
	if o.RegistryMaps == nil || o.RegistriesCertificates == nil || o.Annotations == nil {
		t.Error("maps kaniko writes into must not be nil")
	}
}

// With the layer cache on, kaniko's compressed layers are pushed (to the
// cache): the user's compression reaches kaniko as it is.
func TestCompressionAndLevelReachKanikoWhenItsLayersAreUsed(t *testing.T) {
	for _, tc := range []struct {
		name        string
		compression string
		level       int
		want        config.Compression
		wantLevel   int
	}{
		{"nothing chosen: gzip at the compressor's default", "", 0, config.GZip, -1},
		{"gzip at the default level", "gzip", 0, config.GZip, -1},
		{"zstd at the default level", "zstd", 0, config.ZStd, -1},
		{"gzip at its best", "gzip", 9, config.GZip, 9},
		{"zstd at its fastest", "zstd", 1, config.ZStd, 1},
		{"zstd at its best", "zstd", 22, config.ZStd, 22},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Options(Spec{Cache: true, Flags: settings.KanikoFlags{Compression: tc.compression, CompressionLevel: tc.level}})
			if err != nil {
				t.Fatal(err)
			}
			if o.Compression != tc.want || o.CompressionLevel != tc.wantLevel {
				t.Errorf("compression %q level %d, want %q level %d", o.Compression, o.CompressionLevel, tc.want, tc.wantLevel)
			}
		})
	}
}

// From the variables to kaniko's options: validated, lower-cased, passed on.
func TestCompressionVariablesReachKaniko(t *testing.T) {
	_, o, _ := planFor(t, map[string]string{"PLUGIN_COMPRESSION": "ZSTD", "PLUGIN_COMPRESSION_LEVEL": "19", "PLUGIN_COMPRESSED_CACHING": "true"})
	if o.Compression != config.ZStd || o.CompressionLevel != 19 {
		t.Errorf("compression %q level %d, want zstd level 19", o.Compression, o.CompressionLevel)
	}
	_, o, _ = planFor(t, map[string]string{"PLUGIN_COMPRESSED_CACHING": "true"})
	if o.Compression != config.GZip || o.CompressionLevel != -1 {
		t.Errorf("unset: compression %q level %d, want gzip level -1", o.Compression, o.CompressionLevel)
	}
}

func TestKanikosDigestPassUsesZstdWhenThePushRecompresses(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want config.Compression
	}{
		{"pushed, no cache: zstd for the digest pass", Spec{}, config.ZStd},
		{"gzip 9 chosen: the push applies it, kaniko's pass is zstd 1", Spec{Flags: settings.KanikoFlags{Compression: "gzip", CompressionLevel: 9}}, config.ZStd},
		{"written to a tarball only: zstd", Spec{NoPush: true, TarPath: "/out/image.tar"}, config.ZStd},
		{"layer cache: kaniko pushes its layers, the user's compression", Spec{Cache: true}, config.GZip},
		{"compressed caching: the push sends kaniko's bytes", Spec{Flags: settings.KanikoFlags{CompressedCaching: true}}, config.GZip},
		{"neither pushed nor written: kaniko's digest is the one reported", Spec{NoPush: true}, config.GZip},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Options(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if o.Compression != tc.want {
				t.Errorf("kaniko compresses with %s, want %s", o.Compression, tc.want)
			}
			if tc.want == config.ZStd && o.CompressionLevel != -1 {
				t.Errorf("the digest pass runs at level %d, want the fastest (-1: kaniko's default)", o.CompressionLevel)
			}
		})
	}
}

// Validation lets nothing else through; kaniko's own check still stands.
func TestACompressionKanikoDoesNotKnowIsAnError(t *testing.T) {
	if _, err := Options(Spec{Flags: settings.KanikoFlags{Compression: "brotli"}}); err == nil || !strings.Contains(err.Error(), `compression "brotli"`) {
		t.Errorf("err = %v, want one naming the compression", err)
	}
}

func TestOptionsDefaultToFullSnapshotsTwoWeekTTLAndHostPlatform(t *testing.T) {
	o, err := Options(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if o.SnapshotMode != "full" || o.CacheTTL != 336*time.Hour || o.CustomPlatform == "" {
		t.Errorf("snapshot %q ttl %v platform %q", o.SnapshotMode, o.CacheTTL, o.CustomPlatform)
	}
}

func BenchmarkOptions(b *testing.B) {
	spec := Spec{
		Dockerfile:   "/harness/Dockerfile",
		Context:      "/harness",
		Destinations: []string{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.3", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"},
		BuildArgs:    []string{"BASE_IMAGE=busybox", "VERSION=1.2.3"},
		Labels:       []string{"org.opencontainers.image.title=app"},
		SnapshotMode: "redo",
		PushRetry:    3,
	}
	for b.Loop() {
		if _, err := Options(spec); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBuildKitsPlatformArgsAreSetUnlessGiven(t *testing.T) {
	o, err := Options(Spec{Platform: "linux/arm/v7", BuildArgs: []string{"TARGETOS=custom"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range o.BuildArgs {
		k, v, _ := strings.Cut(a, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s is set twice", k)
		}
		got[k] = v
	}
	host := platforms.Normalize(platforms.DefaultSpec())
	want := map[string]string{
		"TARGETOS": "custom", "TARGETPLATFORM": "linux/arm/v7", "TARGETARCH": "arm", "TARGETVARIANT": "v7",
		"BUILDPLATFORM": platforms.Format(host), "BUILDOS": host.OS, "BUILDARCH": host.Architecture, "BUILDVARIANT": host.Variant,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("build args (-want +got):\n%s", d)
	}
}
