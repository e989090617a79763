package plugin

import (
	"context"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/attest"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/index"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/outputs"
)

// execIndex is a run in index mode (PLUGIN_INDEX_SOURCES): nothing is
// built; the per-platform images other stages pushed are joined into one
// index under every tag. Signing in, the repository and immutable-tag
// checks and the outputs are those of a build.
func (r *run) execIndex(ctx context.Context) error {
	p := r.plan
	r.enter("auth")
	aws, err := r.login(ctx)
	if err != nil {
		return err
	}
	// The token in memory and the transport a build's push uses
	// (PLUGIN_REGISTRY_CERTIFICATE, PLUGIN_SKIP_TLS_VERIFY).
	tr, err := r.deps.Builder.Transport(p, p.Host)
	if err != nil {
		return err
	}
	logrus.Infof("joining %s into one index for %s", strings.Join(p.IndexSources, ", "), strings.Join(p.Destinations(), ", "))
	res, err := index.Publish(ctx, index.Request{
		Sources:      p.IndexSources,
		Destinations: p.Destinations(),
		Wait:         p.IndexWait,
		Auth:         aws,
		Transport:    tr,
		BeforePush:   aws.BeforePush,
		OnPhase:      r.enter,
	})
	if err != nil {
		return err
	}
	prov := attest.Index(ctx, aws, tr, r.attestRun(), res)
	r.enter("outputs")
	if err := outputs.Write(p, outputs.Image{Digest: res.Digest, Pushed: true, Provenance: prov}); err != nil {
		return err
	}
	r.close()
	r.indexSummary(res)
	return nil
}

// indexSummary is the last lines of a successful index run's log.
func (r *run) indexSummary(res index.Result) {
	kind := "OCI image index"
	if res.MediaType == types.DockerManifestList {
		kind = "Docker manifest list"
	}
	var plats []string
	for _, e := range res.Entries {
		plats = append(plats, e.Platform.String())
	}
	logrus.Infof("image: %s", r.plan.Image())
	logrus.Infof("digest: %s (%s)", res.Digest, kind)
	logrus.Infof("platforms: %s", strings.Join(plats, ", "))
	for _, e := range res.Entries {
		logrus.Infof("  %s: %s from %s", e.Platform.String(), e.Digest, e.Source)
	}
	logrus.Infof("tags pushed: %s", strings.Join(r.plan.Tags, ", "))
	logrus.Infof("time: %s", r.times())
}
