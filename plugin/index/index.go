// Package index is the index mode of a run: it joins per-platform images
// that are already in the registry (pushed by other stages, on nodes of
// their architecture) into one multi-platform image index, pushes it under
// every tag and reads each tag back. It builds nothing and never touches
// "/". Like package push it knows neither kaniko nor AWS: the run hands it
// the registry credential, a transport and the hook to call before the push.
package index

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
	"github.com/sirupsen/logrus"
)

// Request says which images to join and where the index goes.
type Request struct {
	Sources      []string      // full references, one image or index each
	Destinations []string      // full references with a tag, in one repository
	Wait         time.Duration // how long to wait for sources not there yet

	Auth      authn.Authenticator // every source is in the registry pushed to
	Transport http.RoundTripper   // nil: go-containerregistry's default

	// BeforePush, when set, is called with the index digest before anything
	// is pushed; as in push.Request, it returns the destinations that
	// already hold it, or an error that ends the run with nothing pushed.
	BeforePush func(ctx context.Context, digest string) (skip []string, err error)
	// OnPhase, when set, is called as the run enters "sources", "push" and
	// "verify".
	OnPhase func(phase string)
}

// Result describes the index that was pushed.
type Result struct {
	Digest    string // sha256:..., of the index
	MediaType types.MediaType
	Entries   []Entry
	Pushed    []string
}

// Publish reads the sources (waiting for missing ones up to req.Wait),
// assembles the index, pushes it under every destination and reads each
// back.
func Publish(ctx context.Context, req Request) (Result, error) {
	opts := []remote.Option{remote.WithAuth(req.Auth)}
	if req.Transport != nil {
		opts = append(opts, remote.WithTransport(req.Transport))
	}
	return publish(ctx, req, opts, remoteFetch(opts))
}

func publish(ctx context.Context, req Request, opts []remote.Option, fetch fetchFunc) (Result, error) {
	var res Result
	phase := func(n string) {
		if req.OnPhase != nil {
			req.OnPhase(n)
		}
	}
	tags := make([]name.Tag, len(req.Destinations))
	for i, d := range req.Destinations {
		t, err := name.NewTag(d, name.WeakValidation)
		if err != nil {
			return res, fmt.Errorf("parsing destination %q: %w", d, err)
		}
		tags[i] = t
	}
	if len(tags) == 0 {
		return res, errors.New("no tags to push the index under")
	}
	phase("sources")
	srcs, err := readAll(ctx, req.Sources, req.Wait, fetch)
	if err != nil {
		return res, err
	}
	idx, entries, err := Assemble(srcs)
	if err != nil {
		return res, err
	}
	dig, err := idx.Digest()
	if err != nil {
		return res, fmt.Errorf("computing the index digest: %w", err)
	}
	res.Digest, res.Entries = dig.String(), entries
	if res.MediaType, err = idx.MediaType(); err != nil {
		return res, err
	}
	for _, e := range entries {
		logrus.Infof("index entry %s: %s (%s)", e.Platform.String(), e.Digest, e.Source)
	}
	var skip []string
	if req.BeforePush != nil {
		if skip, err = req.BeforePush(ctx, res.Digest); err != nil {
			return res, err
		}
	}
	phase("push")
	if err := pushIndex(ctx, idx, dig, tags, without(tags, req.Destinations, skip), opts); err != nil {
		return res, err
	}
	phase("verify")
	if err := verify(ctx, tags, dig, opts); err != nil {
		return res, err
	}
	res.Pushed = req.Destinations
	return res, nil
}

// without returns the tags whose destination is not in skip.
func without(tags []name.Tag, dests, skip []string) []name.Tag {
	var out []name.Tag
	for i, t := range tags {
		if !slices.Contains(skip, dests[i]) {
			out = append(out, t)
		}
	}
	return out
}

// pushIndex writes the index by digest first, which copies any entry that is
// not in the repository yet (images of other repositories are mounted),
// then the index manifest under every tag at once: no tag ever names an
// index whose entries are missing.
func pushIndex(ctx context.Context, idx v1.ImageIndex, dig v1.Hash, all, tags []name.Tag, opts []remote.Option) error {
	// A pusher made now resolves the credentials now: a token refreshed
	// by BeforePush after a long wait is the one sent.
	pusher, err := remote.NewPusher(append(opts, remote.WithContext(ctx))...)
	if err != nil {
		return err
	}
	repo := all[0].Context()
	logrus.Infof("pushing %s@%s", repo, dig)
	if err := pusher.Push(ctx, repo.Digest(dig.String()), idx); err != nil {
		return fmt.Errorf("pushing %s@%s: %w", repo, dig, err)
	}
	errs := make([]error, len(tags))
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			logrus.Infof("tagging %s", t)
			if err := pusher.Put(ctx, t, idx); err != nil {
				errs[i] = fmt.Errorf("tagging %s: %w", t, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// verify reads every tag back, concurrently, and checks that it names the
// index.
func verify(ctx context.Context, tags []name.Tag, want v1.Hash, opts []remote.Option) error {
	puller, err := remote.NewPuller(append(opts, remote.WithContext(ctx))...)
	if err != nil {
		return err
	}
	return push.ReadBack(ctx, puller, tags, want)
}
