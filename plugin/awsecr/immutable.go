package awsecr

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TagConflictError means a requested tag already names another image in a
// repository whose tags are immutable: ECR would refuse the push.
type TagConflictError struct {
	Repo      string
	Conflicts []string // one sentence per tag
	Built     bool     // found after the build, before the push
	Index     bool     // in index mode: found once the index was assembled
}

func (e *TagConflictError) Error() string {
	when := "before the build: nothing was built or pushed"
	switch {
	case e.Built && e.Index:
		when = "once the index was assembled: nothing was pushed"
	case e.Built:
		when = "after the build: nothing was pushed"
	}
	return fmt.Sprintf("tag immutability of repository %s (found %s): %s; use new tags, or remove the old images", e.Repo, when, strings.Join(e.Conflicts, "; "))
}

// maxParallelLookups bounds concurrent DescribeImages calls.
const maxParallelLookups = 8

// checkTags finds the requested tags that already exist in an immutable
// repository. A kaniko build stamps the image with the time it was built,
// unless it is reproducible (created = 1970-01-01), so an existing image
// with another creation time can never be built again: that tag fails the
// run before building. An existing reproducible image might be rebuilt
// exactly: its digest is compared after the build (BeforePush), and a
// match is success without pushing that tag again (ECR refuses even an
// identical push to an immutable tag).
func (s *Session) checkTags(ctx context.Context, info RepoInfo, tokReady <-chan struct{}, n *notes) error {
	p := s.plan
	existing, err := s.existingTags(ctx, info, n)
	if err != nil || len(existing) == 0 {
		return err
	}
	digest, held, err := heldDigest(p.Repo, existing)
	if err != nil {
		return err
	}
	if p.IsIndex() {
		// The same sources always give the same index: a second run of an
		// index step writes nothing and succeeds.
		n.info("%s already %s %s in the immutable repository %s: the index must have that digest", quoteTags(held), holds(held), digest, p.Repo)
		s.hold(held, digest)
		return nil
	}

	select {
	case <-tokReady:
	case <-ctx.Done():
		return ctx.Err()
	}
	tok := s.currentToken()
	if tok.Password == "" {
		return nil // the token error is reported
	}
	facts, err := s.clients.ImageFacts(ctx, p.Image()+"@"+digest, tok)
	switch {
	case err != nil:
		n.warn("%s already %s %s in the immutable repository %s, and that image cannot be read (%v): comparing digests after the build", quoteTags(held), holds(held), digest, p.Repo, err)
	case !facts.rebuildable() || !p.Kaniko.Reproducible:
		what := "built at " + facts.Created.UTC().Format(time.RFC3339)
		switch {
		case facts.Index:
			what = "an image index, which kaniko does not build"
		case facts.rebuildable():
			what = "built reproducibly, but PLUGIN_REPRODUCIBLE is not set, so this build stamps the time"
		}
		return &TagConflictError{Repo: p.Repo, Conflicts: []string{fmt.Sprintf("%s already %s %s (%s), which no new build can reproduce", quoteTags(held), holds(held), digest, what)}}
	default:
		n.info("%s already %s %s in the immutable repository %s, built reproducibly: the build must give the same digest", quoteTags(held), holds(held), digest, p.Repo)
	}
	s.hold(held, digest)
	return nil
}

// hold records tags to compare with the digest of what the run pushes.
func (s *Session) hold(tags []string, digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tags {
		s.pending[t] = digest
	}
}

// existingTags looks up, concurrently, the requested tags that the
// repository keeps immutable, and returns those that exist with their
// digests. It returns nothing when the identity may not look them up.
func (s *Session) existingTags(ctx context.Context, info RepoInfo, n *notes) (map[string]string, error) {
	p := s.plan
	var tags []string
	for _, t := range p.Tags {
		if tagImmutable(info, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return nil, nil
	}
	digests := make([]string, len(tags))
	errs := make([]error, len(tags))
	sem := make(chan struct{}, maxParallelLookups)
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			digests[i], errs[i] = s.clients.Registry.TagDigest(ctx, p.Repo, t)
		})
	}
	wg.Wait()
	existing := map[string]string{}
	for i, t := range tags {
		switch err := errs[i]; {
		case isAccessDenied(err):
			n.warn("cannot look up tag %s in the immutable repository %s (%s: the identity lacks ecr:DescribeImages): skipping the tag check; the push will tell", t, p.Repo, apiCode(err))
			return nil, nil
		case err != nil:
			return nil, explain(p, callRepository, "looking up tag "+t+" in repository "+p.Repo, err)
		case digests[i] != "":
			existing[t] = digests[i]
		}
	}
	return existing, nil
}

// heldDigest groups the existing tags by digest: one build has one digest,
// so at most one group can match it.
func heldDigest(repo string, existing map[string]string) (digest string, held []string, err error) {
	byDigest := map[string][]string{}
	for t, d := range existing {
		byDigest[d] = append(byDigest[d], t)
	}
	if len(byDigest) > 1 {
		var cs []string
		for d, ts := range byDigest {
			sort.Strings(ts)
			cs = append(cs, fmt.Sprintf("%s already %s %s", quoteTags(ts), holds(ts), d))
		}
		sort.Strings(cs)
		return "", nil, &TagConflictError{Repo: repo, Conflicts: append(cs, "no single image can match them all")}
	}
	for d, ts := range byDigest {
		digest, held = d, ts
	}
	sort.Strings(held)
	return digest, held, nil
}

func quoteTags(ts []string) string {
	q := make([]string, len(ts))
	for i, t := range ts {
		q[i] = fmt.Sprintf("%q", t)
	}
	if len(q) == 1 {
		return "tag " + q[0]
	}
	return "tags " + strings.Join(q, ", ")
}

func holds(ts []string) string {
	if len(ts) == 1 {
		return "holds"
	}
	return "hold"
}

// ImageFacts is what decides whether an existing image can be rebuilt.
type ImageFacts struct {
	Index   bool
	Created time.Time
}

// rebuildable reports whether a kaniko build could give this image again,
// byte for byte: only a reproducible one, created at the Unix epoch.
func (f ImageFacts) rebuildable() bool {
	return !f.Index && (f.Created.IsZero() || f.Created.Unix() == 0)
}

// remoteImageFacts reads an image's manifest and config from the registry,
// over tr (nil: the default transport).
func remoteImageFacts(ctx context.Context, ref string, tok Token, tr http.RoundTripper) (ImageFacts, error) {
	d, err := name.NewDigest(ref)
	if err != nil {
		return ImageFacts{}, err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: tok.User, Password: tok.Password})
	opts := []remote.Option{remote.WithAuth(auth), remote.WithContext(ctx)}
	if tr != nil {
		opts = append(opts, remote.WithTransport(tr))
	}
	desc, err := remote.Get(d, opts...)
	if err != nil {
		return ImageFacts{}, err
	}
	if desc.MediaType.IsIndex() {
		return ImageFacts{Index: true}, nil
	}
	img, err := desc.Image()
	if err != nil {
		return ImageFacts{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return ImageFacts{}, err
	}
	return ImageFacts{Created: cf.Created.Time}, nil
}
