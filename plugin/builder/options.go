// Package builder is the build stage, and the only package that imports
// kaniko: it turns a validated plan into kaniko options with the defaults of
// kaniko's own CLI, prepares "/" as kaniko's CLI would, and runs kaniko's
// executor in-process. It returns the image; publishing is package push.
package builder

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/constants"
	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	specs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// Spec is everything kaniko needs to build one image. Paths are absolute;
// destinations are full references with a tag.
type Spec struct {
	Dockerfile   string
	Context      string
	Destinations []string
	BuildArgs    []string // NAME=value, already resolved
	Labels       []string // key=value
	Target       string
	SnapshotMode string
	Platform     string // empty: the host's

	Cache     bool
	CacheRepo string
	CacheTTL  time.Duration

	PushRetry          int // kaniko pushes its layer cache itself
	ImageDownloadRetry int
	NoPush             bool
	TarPath            string
	OCILayout          string

	Flags settings.KanikoFlags
}

// kanikoFlags are the plan's flags for kaniko. The front end has already
// emptied the stages the target does not need (plugin/dockerfile/reach),
// so kaniko builds every stage it is given: its own --skip-unused-stages
// would build side stages when the last stage names none, and drop an
// unnamed stage that a later one copies from by index.
func kanikoFlags(p *settings.Plan) settings.KanikoFlags {
	f := p.Kaniko
	if p.Frontend != nil {
		f.SkipUnusedStages = false
	}
	return f
}

// SpecOf is the build part of a plan.
func SpecOf(p *settings.Plan) Spec {
	return Spec{
		Dockerfile:         p.Dockerfile,
		Context:            p.Context,
		Destinations:       p.Destinations(),
		BuildArgs:          p.BuildArgs,
		Labels:             p.Labels,
		Target:             p.Target,
		SnapshotMode:       p.Snapshot,
		Platform:           p.Platform,
		Cache:              p.Cache,
		CacheRepo:          p.CacheRepo,
		CacheTTL:           p.CacheTTL,
		PushRetry:          p.PushRetry,
		ImageDownloadRetry: p.ImageDownloadRetry,
		NoPush:             p.NoPush,
		TarPath:            p.TarPath,
		OCILayout:          p.OCILayoutPath,
		Flags:              kanikoFlags(p),
	}
}

// defaultCacheTTL is kaniko's --cache-ttl default: two weeks.
const defaultCacheTTL = 336 * time.Hour

// Options converts spec into kaniko options. It is pure: the process-wide
// steps kaniko's CLI also takes (ignore list, copying the Dockerfile,
// changing directory) are done by Build.
func Options(spec Spec) (*config.KanikoOptions, error) {
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
		IgnoreVarRun:     true,
		CompressionLevel: -1,
		CustomPlatform:   hostPlatform(),
		Annotations:      map[string]string{},
		CacheOptions: config.CacheOptions{
			CacheDir: "/cache",
			CacheTTL: spec.CacheTTL,
		},
	}
	if spec.Platform != "" {
		o.CustomPlatform = spec.Platform
	}
	if o.SnapshotMode == "" {
		o.SnapshotMode = "full"
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
	o.TarPath = spec.TarPath

	if err := applyFlags(o, spec); err != nil {
		return nil, err
	}
	for _, d := range spec.Destinations {
		if err := o.Destinations.Set(d); err != nil {
			return nil, fmt.Errorf("destination %q: %w", d, err)
		}
	}
	for _, a := range append(slices.Clone(spec.BuildArgs), platformArgs(o.CustomPlatform, spec.BuildArgs)...) {
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

// digestPassOnly reports whether kaniko's compressed layers serve only to
// compute digests that the push throws away (settings.Plan's
// PushCompressesLayers: the push compresses every layer the build made
// once more, with PLUGIN_COMPRESSION). kaniko then compresses with zstd
// level 1 for that pass, 2.5 to 7 times faster than gzip -1; it does so
// only on an OCI base image, and keeps gzip on a Docker-format one.
func digestPassOnly(spec Spec) bool {
	p := settings.Plan{Cache: spec.Cache, NoPush: spec.NoPush, TarPath: spec.TarPath, OCILayoutPath: spec.OCILayout, Kaniko: spec.Flags}
	return p.PushCompressesLayers()
}

// applyFlags sets the kaniko flags that settings pass through.
func applyFlags(o *config.KanikoOptions, spec Spec) error {
	f := spec.Flags
	o.SkipTLSVerify = f.SkipTLSVerify
	o.SkipUnusedStages = f.SkipUnusedStages
	o.Reproducible = f.Reproducible
	o.SingleSnapshot = f.SingleSnapshot
	o.CacheCopyLayers = f.CacheCopyLayers
	o.CacheRunLayers = f.CacheRunLayers
	o.CompressedCaching = f.CompressedCaching
	o.Compression = config.GZip // what kaniko does with none
	if f.Compression != "" {
		if err := o.Compression.Set(f.Compression); err != nil {
			return fmt.Errorf("compression %q: %w", f.Compression, err)
		}
	}
	if f.CompressionLevel > 0 { // else -1, kaniko's CLI default: the compressor's own
		o.CompressionLevel = f.CompressionLevel
	}
	if digestPassOnly(spec) {
		o.Compression, o.CompressionLevel = config.ZStd, -1
	}
	o.RunV2 = f.UseNewRun
	for host, path := range f.RegistryCertificates {
		o.RegistriesCertificates[host] = path
	}
	// The library reads only RegistryMaps; the CLI turns each mirror into
	// an index.docker.io mapping after the --registry-map ones, and so do we.
	for from, to := range f.RegistryMaps {
		o.RegistryMaps[from] = append(o.RegistryMaps[from], to...)
	}
	for _, m := range f.RegistryMirrors {
		o.RegistryMirrors = append(o.RegistryMirrors, m)
		o.RegistryMaps[name.DefaultRegistry] = append(o.RegistryMaps[name.DefaultRegistry], m)
	}
	o.Cleanup = f.Cleanup
	o.IgnoreVarRun = !f.SnapshotVarRun
	o.ImageFSExtractRetry = f.ImageFSExtractRetry
	o.Insecure = f.Insecure
	o.InsecurePull = f.InsecurePull
	o.SkipDefaultRegistryFallback = f.SkipDefaultRegistryFallback
	o.SkipPushPermissionCheck = f.SkipPushPermissionCheck
	o.SkipTLSVerifyPull = f.SkipTLSVerifyPull
	if f.CacheDir != "" {
		o.CacheDir = f.CacheDir
	}
	for host, files := range f.RegistryClientCerts {
		o.RegistriesClientCertificates[host] = files
	}
	for _, r := range f.InsecureRegistries {
		if err := o.InsecureRegistries.Set(r); err != nil {
			return fmt.Errorf("insecure registry %q: %w", r, err)
		}
	}
	for _, r := range f.SkipTLSVerifyRegistries {
		if err := o.SkipTLSVerifyRegistries.Set(r); err != nil {
			return fmt.Errorf("skip-TLS registry %q: %w", r, err)
		}
	}
	for _, p := range f.IgnorePaths {
		if err := o.IgnorePaths.Set(p); err != nil {
			return fmt.Errorf("ignore path %q: %w", p, err)
		}
	}
	return nil
}

// hostPlatform is what kaniko's CLI defaults --custom-platform to.
func hostPlatform() string {
	return platforms.Format(platforms.Normalize(platforms.DefaultSpec()))
}

// platformArgs are the build args BuildKit sets by itself, which kaniko
// does not: TARGETPLATFORM, TARGETOS, TARGETARCH and TARGETVARIANT for the
// platform built for, the BUILD* ones for this machine. A Dockerfile still
// declares them with ARG to use them, as with BuildKit; a build arg the
// user gives wins.
func platformArgs(target string, given []string) []string {
	set := map[string]bool{}
	for _, a := range given {
		k, _, _ := strings.Cut(a, "=")
		set[k] = true
	}
	var out []string
	add := func(prefix string, p specs.Platform) {
		for _, kv := range [][2]string{
			{prefix + "PLATFORM", platforms.Format(p)}, {prefix + "OS", p.OS},
			{prefix + "ARCH", p.Architecture}, {prefix + "VARIANT", p.Variant},
		} {
			if !set[kv[0]] {
				out = append(out, kv[0]+"="+kv[1])
			}
		}
	}
	t, err := platforms.Parse(target)
	if err != nil {
		return nil // validation checked the platform; kaniko reports it otherwise
	}
	add("TARGET", platforms.Normalize(t))
	add("BUILD", platforms.Normalize(platforms.DefaultSpec()))
	return out
}
