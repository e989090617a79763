// Package push is the publishing stage: it writes the built image as a
// tarball when asked, pushes it to every destination over one session
// (blobs once, then every tag's manifest at once, so a tag is pushed whole or
// not at all), and reads every tag back. It knows neither kaniko nor AWS:
// the run hands it an authenticator (the AWS side's token in memory), a
// transport and a hook to call before the push.
package push

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"
	"golang.org/x/sync/errgroup"
)

// uploadJobs is how many blobs upload at once, go-containerregistry's
// default for remote.Write.
const uploadJobs = 4

// Session is what the push and the read-backs of one run share: one
// credential, one HTTP transport (so connections are reused), one pusher and
// one puller, so the registry is pinged and authenticated once for each
// instead of once per tag and per call.
type Session struct {
	pusher *remote.Pusher
	puller *remote.Puller
}

// NewSession prepares a session for reg. auth is asked for the credentials
// on every request (registries with basic auth, as ECR, want them on every
// one), so a token refreshed in memory during a long build is the one the
// push sends; tr carries the registry's TLS settings, and large uploads
// leave it for HTTP/1.1 (see splitUploads).
func NewSession(ctx context.Context, auth authn.Authenticator, tr http.RoundTripper, reg name.Registry) (*Session, error) {
	if _, err := auth.Authorization(); err != nil {
		return nil, fmt.Errorf("resolving credentials for %s: %w", reg.Name(), err)
	}
	return newSessionWith(ctx, auth, splitUploads(tr))
}

func newSessionWith(ctx context.Context, auth authn.Authenticator, tr http.RoundTripper) (*Session, error) {
	ropts := []remote.Option{remote.WithAuth(auth), remote.WithTransport(tr), remote.WithContext(ctx), remote.WithJobs(uploadJobs)}
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return nil, err
	}
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil, err
	}
	return &Session{pusher: pusher, puller: puller}, nil
}

// Warm reads a tag once, ignoring the answer: it opens the connection and
// goes through the registry's auth handshake while the build still runs, so
// the push starts on a warm connection.
func (s *Session) Warm(ctx context.Context, t name.Tag) {
	if _, err := s.puller.Head(ctx, t); err != nil {
		logrus.Debugf("warming the connection to %s: %v", t.Context().RegistryStr(), err)
	}
}

// push uploads the image's blobs once per repository and, meanwhile, reads
// every tag; then it writes the manifest under every tag that does not
// already hold it, all at once. A manifest goes up only after every blob it
// names, so each tag is pushed whole or not at all.
func (s *Session) push(ctx context.Context, img v1.Image, tags []name.Tag, retries int) error {
	want, err := img.Digest()
	if err != nil {
		return err
	}
	var repos []name.Repository
	seen := map[name.Repository]bool{}
	for _, t := range tags {
		if r := t.Context(); !seen[r] {
			seen[r] = true
			repos = append(repos, r)
		}
	}

	holds := make([]bool, len(tags))
	errs := make([]error, len(repos))
	var wg sync.WaitGroup
	for i, r := range repos {
		wg.Go(func() {
			logrus.Infof("pushing %s@%s", r, want)
			if err := retry(ctx, retries, func() error { return s.uploadBlobs(ctx, r, img) }); err != nil {
				errs[i] = fmt.Errorf("pushing %s: %w", r, err)
			}
		})
	}
	// As remote.Write does: a tag that already holds the image is left
	// alone (an immutable repository would refuse the write). The check is
	// only an optimisation, so an error here means "write it".
	for i, t := range tags {
		wg.Go(func() {
			if d, err := s.puller.Head(ctx, t); err == nil && d.Digest == want {
				holds[i] = true
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	errs = make([]error, len(tags))
	for i, t := range tags {
		if holds[i] {
			logrus.Infof("%s already holds %s", t, want)
			continue
		}
		wg.Go(func() {
			logrus.Infof("tagging %s", t)
			if err := retry(ctx, retries, func() error { return s.pusher.Put(ctx, t, img) }); err != nil {
				errs[i] = fmt.Errorf("tagging %s: %w", t, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// uploadBlobs puts the image's layers and config into repo. Blobs already
// there are skipped and base layers from the same registry are mounted, by
// go-containerregistry's upload.
func (s *Session) uploadBlobs(ctx context.Context, repo name.Repository, img v1.Image) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	cfg, err := partial.ConfigLayer(img)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadJobs)
	for _, l := range append(layers, cfg) {
		g.Go(func() error { return s.pusher.Upload(gctx, repo, l) })
	}
	return g.Wait()
}

// verify reads every tag back, concurrently, and checks that it names the
// built digest.
func (s *Session) verify(ctx context.Context, tags []name.Tag, want v1.Hash) error {
	return ReadBack(ctx, s.puller, tags, want)
}

// ReadBack reads every tag back with puller, concurrently, and checks that
// each names want: one round trip for all the tags, not one per tag.
func ReadBack(ctx context.Context, puller *remote.Puller, tags []name.Tag, want v1.Hash) error {
	errs := make([]error, len(tags))
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			d, err := puller.Head(ctx, t)
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("reading back %s: %w", t, err)
			case d.Digest != want:
				errs[i] = fmt.Errorf("%s holds %s after the push, want %s", t, d.Digest, want)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// bigUpload is the blob size from which an upload goes over HTTP/1.1.
const bigUpload = 4 << 20

// splitUploads returns a transport that sends large blob uploads (PATCH
// bodies of bigUpload bytes or more, or of unknown size) over HTTP/1.1 and
// everything else over tr, which speaks HTTP/2 when the registry offers it.
// An HTTP/2 stream moves at most the server's flow-control window per round
// trip: 1 MiB for Go servers such as distribution's registry, which caps an
// upload near 50 MB/s at 20 ms and 13 MB/s at 80 ms. A TCP connection's
// window grows far beyond that. Small requests keep HTTP/2's one
// connection, so the tag fan-out and the read-backs open none.
func splitUploads(tr http.RoundTripper) http.RoundTripper {
	t, ok := tr.(*http.Transport)
	if !ok {
		return tr
	}
	h1 := t.Clone()
	h1.ForceAttemptHTTP2 = false
	h1.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	if h1.TLSClientConfig == nil {
		h1.TLSClientConfig = &tls.Config{}
	}
	h1.TLSClientConfig.NextProtos = []string{"http/1.1"}
	h1.MaxIdleConnsPerHost = uploadJobs
	return &uploadSplitter{small: t, large: h1}
}

type uploadSplitter struct {
	small, large http.RoundTripper
}

func (s *uploadSplitter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPatch && (r.ContentLength >= bigUpload || (r.ContentLength == 0 && r.Body != nil && r.Body != http.NoBody)) {
		return s.large.RoundTrip(r)
	}
	return s.small.RoundTrip(r)
}
