package plugin

import (
	"context"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/attest"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr/kmssign"
)

// pullRecorder is a Builder that tells which images the build pulled by
// reference, with their manifest digests (builder.Kaniko).
type pullRecorder interface{ Pulled() map[string]string }

// gitRecorder is a Builder that tells which git sources the build checked
// out (remote#ref), with their commits (builder.Kaniko).
type gitRecorder interface{ GitSources() map[string]string }

// attestRun is what the provenance of this run says of it.
func (r *run) attestRun() attest.Run {
	a := attest.Run{
		Plan: r.plan, Dir: r.deps.Env.Dir, Version: r.deps.Version, Env: r.deps.Env.Lookup,
		Started: r.start, Mask: r.hook.Redact, OnPhase: r.enter,
	}
	if pr, ok := r.deps.Builder.(pullRecorder); ok && !r.plan.IsIndex() {
		a.Pulled = pr.Pulled()
	}
	if gr, ok := r.deps.Builder.(gitRecorder); ok && !r.plan.IsIndex() {
		a.Git = gr.GitSources()
	}
	if key := r.plan.Provenance.KMSKey; key != "" {
		a.Signer = func(ctx context.Context) (dsse.Signer, error) {
			if r.kms == nil {
				return nil, fmt.Errorf("no KMS client for PLUGIN_PROVENANCE_KMS_KEY %s", key)
			}
			return kmssign.New(ctx, r.kms, key)
		}
	}
	return a
}
