package push

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/push/referrer"
)

// Referrer is an artifact to attach to a manifest (package referrer).
type Referrer = referrer.Referrer

// Staged is a referrer written into the repository and listed under its
// subject, to be abandoned if the subject never comes (package referrer).
type Staged = referrer.Staged

// attachTo is the repository's referrer state, opened on first use over
// the push's credential and transport; WarmReferrers opens it while the
// build runs, so attaching starts from it.
func (s *Session) attachTo(ctx context.Context, repo name.Repository) (*referrer.Repo, error) {
	s.attachMu.Lock()
	defer s.attachMu.Unlock()
	if a := s.attach[repo.String()]; a != nil {
		return a, nil
	}
	a, err := referrer.Open(ctx, repo, s.auth, s.tr)
	if err != nil {
		return nil, err
	}
	if s.attach == nil {
		s.attach = map[string]*referrer.Repo{}
	}
	s.attach[repo.String()] = a
	return a, nil
}

// WarmReferrers prepares attaching to repo while the build runs: it signs
// in, asks whether the registry answers the referrers API and whether the
// repository holds the empty config blob, so that attaching a provenance
// after the push costs its own upload and manifest only.
func (s *Session) WarmReferrers(ctx context.Context, repo name.Repository) {
	if _, err := s.attachTo(ctx, repo); err != nil {
		logrus.Debugf("preparing the referrers of %s: %v", repo, err)
	}
}

// Stage uploads r's blobs into repo, writes its manifest and lists it
// under subject, which may not be there yet.
func (s *Session) Stage(ctx context.Context, repo name.Repository, subject v1.Descriptor, r Referrer) (*Staged, error) {
	a, err := s.attachTo(ctx, repo)
	if err != nil {
		return nil, err
	}
	return a.Stage(ctx, subject, r)
}

// Attach writes r into repo as an OCI 1.1 artifact whose subject is
// subject, which is there, and returns its digest.
func (s *Session) Attach(ctx context.Context, repo name.Repository, subject v1.Descriptor, r Referrer) (v1.Hash, error) {
	st, err := s.Stage(ctx, repo, subject, r)
	if err != nil {
		return v1.Hash{}, err
	}
	return st.Digest(), nil
}

// Describe returns the descriptor of ref as the registry serves it.
func (s *Session) Describe(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	return s.puller.Head(ctx, ref)
}
