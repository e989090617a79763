package plugin

import (
	"context"
	"time"
)

// BuildSpec is everything a Builder needs to build and push one image.
// Paths are absolute; destinations are full references with a tag.
type BuildSpec struct {
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

	PushRetry          int
	ImageDownloadRetry int
	NoPush             bool
	TarPath            string // also write a docker tarball here

	Flags KanikoFlags

	// OnPhase, when set, is called as the build enters each phase
	// ("build", "push", "verify"), so an interrupt can say where it hit.
	OnPhase func(phase string)

	// BeforePush, when set, is called after the build and before anything
	// is pushed, with the manifest digest. It may refresh the registry
	// credentials in the docker config. It returns the destinations that
	// already hold that digest, which are not pushed again (ECR refuses
	// even an identical push to an immutable tag) but still read back, or
	// an error that ends the run with nothing pushed.
	BeforePush func(ctx context.Context, digest string) (skip []string, err error)
}

// BuildResult describes what was built and pushed.
type BuildResult struct {
	Digest string // sha256:..., of the manifest
	Size   int64  // compressed bytes: layers, config and manifest
	Pushed []string
	Phases []PhaseTime
	// TarPath is where a tarball was written, if one was.
	TarPath string
}

// PhaseTime is the wall time one phase took.
type PhaseTime struct {
	Name string
	Took time.Duration
}

// Builder builds and pushes an image. The kaniko implementation lives in
// package builder; plugin never imports kaniko.
type Builder interface {
	Build(ctx context.Context, spec BuildSpec) (BuildResult, error)
	// PushTarball pushes the image in a docker tarball to every destination
	// of spec, without building.
	PushTarball(ctx context.Context, spec BuildSpec, path string) (BuildResult, error)
}
