package attest

import (
	"context"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/index"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/provenance"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
)

// Index attaches a provenance to each platform manifest of the index just
// pushed, over a session of its own (auth and tr are the push's): nothing
// was built, so each names the source it came from.
func Index(ctx context.Context, auth authn.Authenticator, tr http.RoundTripper, run Run, res index.Result) []string {
	if run.Plan.Provenance.Mode == "" || len(res.Entries) == 0 {
		return nil
	}
	repo, err := repository(run.Plan)
	if err != nil {
		logrus.Warnf("provenance not attached: %v", err)
		return nil
	}
	sess, err := push.NewSession(ctx, auth, tr, repo.Registry)
	if err != nil {
		logrus.Warnf("provenance not attached: %v", err)
		return nil
	}
	var warm sync.WaitGroup
	warm.Go(func() { sess.WarmReferrers(ctx, repo) })
	var atts []attestation
	for _, e := range res.Entries {
		desc, err := sess.Describe(ctx, repo.Digest(e.Digest.String()))
		if err != nil {
			logrus.Warnf("provenance of %s (%s) not attached: %v", e.Digest, e.Platform.String(), err)
			continue
		}
		b := run.base()
		b.Platform = e.Platform.String()
		b.IndexSources = []string{e.Source}
		b.Images = []provenance.Image{{Ref: e.Source, Digest: e.Digest.String(), Platform: b.Platform}}
		b.Subjects = []provenance.Subject{{Name: run.Plan.Image(), Digest: e.Digest.String()}}
		atts = append(atts, attestation{subject: *desc, build: b})
	}
	warm.Wait()
	if run.OnPhase != nil && len(atts) > 0 {
		run.OnPhase("provenance")
	}
	return stage(ctx, sess, run, atts).Commit()
}
