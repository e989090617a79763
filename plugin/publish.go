package plugin

import (
	"context"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/attest"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// publish writes the tarball, pushes every tag and reads each back.
func (r *run) publish(ctx context.Context, img v1.Image, sess *push.Session, aws AWS) (push.Result, error) {
	p := r.plan
	req := push.Request{
		Destinations: p.Destinations(),
		NoPush:       p.NoPush,
		Retries:      p.PushRetry,
		BeforeUpload: aws.Refresh,
		BeforePush:   aws.BeforePush,
		OnPhase:      r.enter,
		SpoolDir:     r.spoolDir(),
		Compression:  push.Compression{Algorithm: p.Kaniko.Compression, Level: p.Kaniko.CompressionLevel},
		KeepAsBuilt:  keptAsBuilt(p, aws),
		Early:        r.early,
		KeepCreated:  keepsCreated(p, aws),
	}
	if !p.PushOnly {
		req.TarPath = p.TarPath // in push-only mode the tarball is the source
	}
	req.OCILayout, req.Insecure = p.OCILayoutPath, p.InsecurePush()
	if sess != nil {
		// The provenance is written and listed under the image as soon as
		// its digest is known, while its blobs upload and its tags are
		// written; it is taken away if the tags fail.
		req.Attach = func(ctx context.Context, res push.Result) func(context.Context, bool) {
			pending := attest.Stage(ctx, sess, r.attestRun(), res)
			if pending == nil {
				return nil
			}
			return func(ctx context.Context, tagged bool) {
				if !tagged {
					pending.Abandon(ctx)
					return
				}
				r.prov = pending.Commit()
			}
		}
	}
	publish := r.deps.Publish
	if publish == nil {
		publish = push.Publish
	}
	return publish(ctx, img, sess, req)
}

// startEarly starts compressing the layers while the build runs, when the
// push compresses every layer the build makes: no layer cache, no
// compressed caching, and the image pushed or written.
func (r *run) startEarly(ctx context.Context, p *settings.Plan) {
	if !p.PushCompressesLayers() {
		return
	}
	early, err := push.NewPrecompressor(ctx, push.Compression{Algorithm: p.Kaniko.Compression, Level: p.Kaniko.CompressionLevel}, r.spoolDir())
	if err != nil {
		logrus.Debugf("compressing during the build: %v", err)
		return
	}
	r.early = early
}

// keptAsBuilt names the layers the push sends as kaniko compressed them:
// all of them with compressed caching on (kaniko kept those bytes in memory
// for the push); with kaniko's layer cache on, those kaniko also pushes to
// the cache (RUN, and COPY/ADD with PLUGIN_CACHE_COPY_LAYERS), so that the
// next build's cache hit is the same blob and the image the same digest.
func keptAsBuilt(p *settings.Plan, aws AWS) func(string) bool {
	if p.Kaniko.CompressedCaching {
		return func(string) bool { return true }
	}
	if !p.Cache || aws.NoCache() {
		return nil
	}
	return func(createdBy string) bool {
		verb, _, _ := strings.Cut(strings.TrimSpace(createdBy), " ")
		switch strings.ToUpper(verb) {
		case "RUN":
			return p.Kaniko.CacheRunLayers
		case "COPY", "ADD":
			// The front end runs heredocs and ADD --checksum as RUN
			// steps, which kaniko caches as it caches RUN.
			if strings.Contains(createdBy, "<<") || strings.Contains(createdBy, "--checksum") {
				return p.Kaniko.CacheRunLayers
			}
			return p.Kaniko.CacheCopyLayers
		}
		return true // not kaniko's usual history: keep it as built, to be safe
	}
}

// keepsCreated reports whether an image that differs from what a tag
// holds only in its creation time takes that time: when layers can come
// from the cache. Reproducible images have no time to keep (kaniko
// zeroes it), and a pushed tarball is pushed as it is.
func keepsCreated(p *settings.Plan, aws AWS) bool {
	return p.Cache && !aws.NoCache() && !p.Kaniko.Reproducible && !p.PushOnly
}

// spoolDir is where the push keeps the compressed layers: kaniko's
// folder, which kaniko never snapshots.
func (r *run) spoolDir() string {
	if r.deps.Env.Lookup != nil {
		if d, ok := r.deps.Env.Lookup("KANIKO_DIR"); ok && d != "" {
			return d
		}
	}
	return kanikoDir
}
