// Package builder is the only package that imports kaniko. It turns a
// plugin.BuildSpec into kaniko options with the defaults of kaniko's own
// CLI (but two, see Options), builds in-process and pushes with
// go-containerregistry.
package builder

import (
	"fmt"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/constants"
	"github.com/containerd/platforms"

	"github.com/kaniko-ecr/kaniko-ecr/plugin"
)

// defaultCacheTTL is kaniko's --cache-ttl default: two weeks.
const defaultCacheTTL = 336 * time.Hour

// Options converts spec into kaniko options. It is pure: the process-wide
// steps kaniko's CLI also takes (ignore list, copying the Dockerfile,
// changing directory) are done by Build. Two defaults differ from kaniko's
// CLI: compressed layers are not cached in memory, and an empty snapshot
// mode means redo, this plugin's documented default, not full.
func Options(spec plugin.BuildSpec) (*config.KanikoOptions, error) {
	o := &config.KanikoOptions{
		DockerfilePath: spec.Dockerfile,
		SrcContext:     spec.Context,
		SnapshotMode:   spec.SnapshotMode,
		Target:         spec.Target,
		CacheRepo:      spec.CacheRepo,
		Cache:          spec.Cache,
		NoPush:         spec.NoPush,
		KanikoDir:      config.KanikoDir,
		// kaniko's CLI defaults that an empty KanikoOptions lacks.
		CacheRunLayers: true,
		// kaniko's CLI keeps every compressed layer in memory, in a
		// bytes.Buffer that doubles as it grows: a 300 MB layer took 1 GiB
		// and made the build 2-3 times slower than compressing the layer
		// again while it uploads (docs/BENCHMARKS.md). Off, memory stays
		// flat whatever the image size; the cost is that second gzip pass.
		CompressedCaching: false,
		IgnoreVarRun:      true,
		CompressionLevel:  -1,
		CustomPlatform:    hostPlatform(),
		Annotations:       map[string]string{},
		CacheOptions: config.CacheOptions{
			CacheDir: "/cache",
			CacheTTL: spec.CacheTTL,
		},
	}
	if spec.Platform != "" {
		o.CustomPlatform = spec.Platform
	}
	if o.SnapshotMode == "" {
		// full hashes every file's content on each snapshot; redo
		// compares metadata, as the plugin does by default.
		o.SnapshotMode = "redo"
	}
	if o.KanikoDir == "" {
		o.KanikoDir = constants.DefaultKanikoPath
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = defaultCacheTTL // zero would expire every cache entry
	}
	o.RegistryMaps = map[string][]string{}
	o.RegistriesCertificates = map[string]string{}
	o.RegistriesClientCertificates = map[string]string{}
	o.PushRetry = spec.PushRetry
	o.ImageDownloadRetry = spec.ImageDownloadRetry

	for _, d := range spec.Destinations {
		if err := o.Destinations.Set(d); err != nil {
			return nil, fmt.Errorf("destination %q: %w", d, err)
		}
	}
	for _, a := range spec.BuildArgs {
		if err := o.BuildArgs.Set(a); err != nil {
			return nil, fmt.Errorf("build arg: %w", err)
		}
	}
	for _, l := range spec.Labels {
		if err := o.Labels.Set(l); err != nil {
			return nil, fmt.Errorf("label %q: %w", l, err)
		}
	}
	return o, nil
}

// hostPlatform is what kaniko's CLI defaults --custom-platform to.
func hostPlatform() string {
	return platforms.Format(platforms.Normalize(platforms.DefaultSpec()))
}
