// Package attest attaches the provenance of what a run pushed: it turns
// the plan and the push's result into provenance statements (package
// provenance), signs them when a signer is given, and attaches each to its
// manifest as an OCI 1.1 referrer over the push's session (package push).
// It never fails a run: the image is pushed already, so a provenance that
// cannot be written or signed is a warning that names the reason.
package attest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/provenance"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// Run is what every statement of a run shares.
type Run struct {
	Plan    *settings.Plan
	Dir     string // the workspace: paths are given relative to it
	Version string // the binary's
	Env     func(string) (string, bool)
	Started time.Time
	Mask    func(string) string // hides every known secret
	// Pulled maps the images the build pulled by reference to their
	// manifest digests.
	Pulled map[string]string
	// Git maps the git sources the build checked out (remote#ref) to
	// their commits.
	Git map[string]string
	// Signer is the KMS key's signer; nil with no key.
	Signer func(ctx context.Context) (dsse.Signer, error)
	// OnPhase is told when attaching starts.
	OnPhase func(string)
}

// attestation is one provenance to attach: the manifest it describes and
// what that manifest was made from.
type attestation struct {
	subject v1.Descriptor
	build   provenance.Build
}

// Built attaches the provenance of the image a build pushed and returns
// the digests of what it attached: Stage, then Commit.
func Built(ctx context.Context, sess *push.Session, run Run, res push.Result) []string {
	if run.OnPhase != nil && attaches(run, res) && !(res.Unchanged && res.Uploaded == 0) {
		run.OnPhase("provenance")
	}
	return Stage(ctx, sess, run, res).Commit()
}

// attaches says whether a build's result gets a provenance.
func attaches(run Run, res push.Result) bool {
	p := run.Plan
	// With PUSH_ONLY, the tarball's build is not known here.
	return p.Provenance.Mode != "" && len(res.Pushed) > 0 && res.Image != nil && !p.PushOnly
}

// Stage writes, signs, uploads and lists the provenance of the image a
// build pushes (res.Pushed: where it goes) while the image's blobs upload
// and its tags are written; Commit reports it once they are, Abandon takes
// it away if they fail. It never fails: what cannot be done is a warning,
// and Commit of what it returns attaches nothing.
func Stage(ctx context.Context, sess *push.Session, run Run, res push.Result) *Pending {
	p := run.Plan
	if !attaches(run, res) {
		return nil
	}
	if res.Unchanged && res.Uploaded == 0 {
		// Every tag held this very image: the provenance attached by the
		// build that made it stands, and an unchanged rebuild uploads nothing.
		logrus.Infof("provenance: %s is unchanged, so the provenance of the build that made it stands; nothing attached", res.Digest)
		return nil
	}
	sub, err := describe(res.Image)
	if err != nil {
		logrus.Warnf("provenance not attached: %v", err)
		return nil
	}
	b := run.base()
	b.Dockerfile, b.Context = inDir(run.Dir, p.Dockerfile), inDir(run.Dir, p.Context)
	b.Target, b.BuildArgs, b.Labels = p.Target, p.BuildArgs, p.Labels
	b.Platform = cmp.Or(p.Platform, runtime.GOOS+"/"+runtime.GOARCH)
	for id := range p.BuildSecrets {
		b.SecretIDs = append(b.SecretIDs, id)
	}
	for ref, d := range run.Pulled {
		b.Images = append(b.Images, provenance.Image{Ref: ref, Digest: d, Platform: b.Platform})
	}
	sort.Slice(b.Images, func(i, j int) bool { return b.Images[i].Ref < b.Images[j].Ref })
	if p.Frontend != nil {
		for _, s := range p.Frontend.Steps {
			if s.Kind == "add" && s.URL != "" {
				b.Downloads = append(b.Downloads, provenance.Download{URL: s.URL, Checksum: s.Checksum})
			}
		}
	}
	for _, uri := range slices.Sorted(maps.Keys(run.Git)) {
		b.Downloads = append(b.Downloads, provenance.Download{URL: uri, Checksum: "sha1:" + run.Git[uri]})
	}
	b.Subjects = []provenance.Subject{{Name: p.Image(), Digest: sub.Digest.String()}}
	return stage(ctx, sess, run, []attestation{{subject: sub, build: b}})
}

// Pending is the provenances of a run, written and not yet attached.
type Pending struct {
	repo   name.Repository
	staged []staged
}

type staged struct {
	subject v1.Hash
	st      *push.Staged
}

// stage writes each attestation, signed when a key is set, and uploads
// them all at once.
func stage(ctx context.Context, sess *push.Session, run Run, atts []attestation) *Pending {
	if sess == nil || len(atts) == 0 {
		return nil
	}
	var signer dsse.Signer
	if run.Signer != nil {
		s, err := run.Signer(ctx)
		if err != nil {
			logrus.Warnf("provenance not attached: %v; the image is pushed", err)
			return nil
		}
		signer = s
	}
	repo, err := repository(run.Plan)
	if err != nil {
		logrus.Warnf("provenance not attached: %v; the image is pushed", err)
		return nil
	}
	out := make([]*push.Staged, len(atts))
	var wg sync.WaitGroup
	for i, a := range atts {
		wg.Go(func() {
			st, err := stageOne(ctx, sess, repo, a, signer)
			if err != nil {
				logrus.Warnf("provenance of %s not attached: %v; the image is pushed", a.subject.Digest, err)
				return
			}
			out[i] = st
		})
	}
	wg.Wait()
	p := &Pending{repo: repo}
	for i, st := range out {
		if st != nil {
			p.staged = append(p.staged, staged{subject: atts[i].subject.Digest, st: st})
		}
	}
	return p
}

// Commit reports what Stage attached, once the image it describes is
// pushed, and returns the digests. A nil Pending attaches nothing.
func (p *Pending) Commit() []string {
	if p == nil {
		return nil
	}
	var digests []string
	for _, s := range p.staged {
		logrus.Infof("provenance of %s attached: %s@%s", s.subject, p.repo, s.st.Digest())
		digests = append(digests, s.st.Digest().String())
	}
	return digests
}

// Abandon takes back what Stage wrote, for an image whose tags were not
// written: no provenance is listed for an image that is not there. A
// registry that refuses deletes keeps it.
func (p *Pending) Abandon(ctx context.Context) {
	if p == nil {
		return
	}
	var wg sync.WaitGroup
	for _, s := range p.staged {
		wg.Go(func() {
			if err := s.st.Abandon(ctx); err != nil {
				logrus.Infof("provenance of %s: the image was not pushed, and its provenance %s stays in %s: %v", s.subject, s.st.Digest(), p.repo, err)
				return
			}
			logrus.Infof("provenance of %s deleted: the image was not pushed (%s@%s)", s.subject, p.repo, s.st.Digest())
		})
	}
	wg.Wait()
}

func stageOne(ctx context.Context, sess *push.Session, repo name.Repository, a attestation, signer dsse.Signer) (*push.Staged, error) {
	payload, err := provenance.Statement(a.build)
	if err != nil {
		return nil, err
	}
	mt := provenance.PayloadType
	if signer != nil {
		if payload, err = provenance.Sign(ctx, payload, signer); err != nil {
			return nil, err
		}
		mt = provenance.EnvelopeMediaType
	}
	return sess.Stage(ctx, repo, a.subject, push.Referrer{
		ArtifactType: provenance.PayloadType,
		MediaType:    types.MediaType(mt),
		Payload:      payload,
		Annotations:  map[string]string{"in-toto.io/predicate-type": provenance.PredicateType},
	})
}

func repository(p *settings.Plan) (name.Repository, error) {
	var opts []name.Option
	if p.InsecurePush() {
		opts = append(opts, name.Insecure)
	}
	return name.NewRepository(p.Image(), opts...)
}

// base is what every statement of the run says: mode, builder, CI
// invocation, times.
func (run Run) base() provenance.Build {
	return provenance.Build{
		Mode:     run.Plan.Provenance.Mode,
		Builder:  provenance.Builder{Version: cmp.Or(run.Version, "dev"), Dependencies: embedded()},
		Env:      run.Env,
		Started:  run.Started,
		Finished: time.Now(),
		Mask:     run.Mask,
	}
}

// describe is the descriptor of an image's manifest.
func describe(img v1.Image) (v1.Descriptor, error) {
	raw, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("reading the pushed manifest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("reading the pushed manifest: %w", err)
	}
	d, size, err := v1.SHA256(bytes.NewReader(raw))
	return v1.Descriptor{MediaType: mt, Size: size, Digest: d}, err
}

// inDir is path relative to dir when inside it.
func inDir(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && dir != "" && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// embedded names the versions of what the binary embeds that makes the
// build: kaniko.
func embedded() map[string]string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, m := range bi.Deps {
		if m.Path == "github.com/chainguard-dev/kaniko" {
			out[m.Path] = m.Version
		}
	}
	return out
}
