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
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push/referrer"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push/spool"
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
	blobs  *blobCounter // the blob uploads completed

	// What attaching referrers needs: the credential and transport, and
	// per repository what it learned once (referrer.go).
	auth     authn.Authenticator
	tr       http.RoundTripper
	attachMu sync.Mutex
	attach   map[string]*referrer.Repo
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
	counter := &blobCounter{next: tr}
	ropts := []remote.Option{remote.WithAuth(auth), remote.WithTransport(counter), remote.WithContext(ctx), remote.WithJobs(uploadJobs)}
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return nil, err
	}
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil, err
	}
	return &Session{pusher: pusher, puller: puller, blobs: counter, auth: auth, tr: counter}, nil
}

// Warm reads a tag once, ignoring the answer: it opens the connection and
// goes through the registry's auth handshake while the build still runs, so
// the push starts on a warm connection.
func (s *Session) Warm(ctx context.Context, t name.Tag) {
	if _, err := s.puller.Head(ctx, t); err != nil {
		logrus.Debugf("warming the connection to %s: %v", t.Context().RegistryStr(), err)
	}
}

// upload sends the prepared image's blobs to every repository: the first
// gets the new layers as they are compressed, the others from the spool.
func (s *Session) upload(ctx context.Context, p *prepared, repos []name.Repository, retries int) error {
	logrus.Infof("pushing to %s: %s", repos[0], p.describe())
	if err := s.uploadBlobs(ctx, repos[0], p, retries); err != nil {
		return fmt.Errorf("pushing %s: %w", repos[0], err)
	}
	rest := repos[1:]
	errs := make([]error, len(rest))
	var wg sync.WaitGroup
	for i, r := range rest {
		wg.Go(func() {
			logrus.Infof("pushing to %s", r)
			if err := s.uploadBlobs(ctx, r, p, retries); err != nil {
				errs[i] = fmt.Errorf("pushing %s: %w", r, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// heads reads what every tag holds now, concurrently; a tag that cannot
// be read (it does not exist yet) holds nothing.
func (s *Session) heads(ctx context.Context, tags []name.Tag) []v1.Hash {
	held := make([]v1.Hash, len(tags))
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			if d, err := s.puller.Head(ctx, t); err == nil {
				held[i] = d.Digest
			}
		})
	}
	wg.Wait()
	return held
}

// tag writes the manifest under every tag that does not already hold it,
// all at once, after every blob it names is up: each tag is pushed whole
// or not at all. As remote.Write does, a tag that already holds the image
// is left alone (an immutable repository would refuse the write); held
// comes from heads, and is only an optimisation.
func (s *Session) tag(ctx context.Context, img v1.Image, tags []name.Tag, held []v1.Hash, retries int) error {
	want, err := img.Digest()
	if err != nil {
		return err
	}
	errs := make([]error, len(tags))
	var wg sync.WaitGroup
	for i, t := range tags {
		if held[i] == want {
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

// uploadBlobs puts the image's layers and config into repo, each blob
// retried on its own. Blobs already there are skipped and base layers from
// the same registry are mounted, by go-containerregistry's upload; a layer
// compressed here is streamed, and a long upload logs its progress.
func (s *Session) uploadBlobs(ctx context.Context, repo name.Repository, p *prepared, retries int) error {
	cfg, err := partial.ConfigLayer(p.src)
	if err != nil {
		return err
	}
	blobs := []v1.Layer{cfg}
	seen := map[v1.Layer]bool{}
	for _, l := range p.layers {
		if !seen[l] {
			seen[l] = true
			blobs = append(blobs, l)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadJobs)
	for _, l := range blobs {
		g.Go(func() error {
			return retry(gctx, retries, func() error { return s.uploadOne(gctx, repo, l) })
		})
	}
	return g.Wait()
}

// uploadOne uploads one blob. Blobs that may take long (a large layer the
// build made, or a large base layer copied from another registry) have
// their bytes counted as they are read, for a progress log of that blob
// alone; go-containerregistry's own progress updates stay off (see
// progressLog).
func (s *Session) uploadOne(ctx context.Context, repo name.Repository, l v1.Layer) error {
	what, size, watch := watched(repo, l)
	if !watch {
		// A small layer is compressed first: with its digest known, the
		// registry is asked whether it has it already.
		if sl, ok := l.(*spool.Layer); ok {
			if err := sl.Finish(); err != nil {
				return err
			}
		}
		return s.pusher.Upload(ctx, repo, l)
	}
	pl := newProgressLog(what, size)
	defer pl.close()
	start := time.Now()
	// A new wrapper on every try: go-containerregistry's pusher keeps the
	// outcome of a layer streamed with its digest unknown by the layer
	// value, so a retry of the same value would get the old error back.
	if err := s.pusher.Upload(ctx, repo, pl.counted(l)); err != nil {
		return err
	}
	if took := time.Since(start); took >= progressAfter {
		d, _ := l.Digest()
		size, _ := l.Size()
		logrus.Infof("%s: pushed %s, %.1f MiB in %s", what, d, mib(size), took.Round(100*time.Millisecond))
	}
	return nil
}

// watched says whether l's upload is followed, how the log names it and
// how it learns the blob's size.
func watched(repo name.Repository, l v1.Layer) (what string, size func() (int64, bool, bool), ok bool) {
	switch l := l.(type) {
	case *spool.Layer:
		if l.TarSize() < bigUpload {
			return "", nil, false
		}
		if d, err := l.Digest(); err == nil {
			return "layer " + short(d), l.ExpectedSize, true
		}
		diffID, _ := l.DiffID()
		return "layer " + short(diffID) + " (diff id)", l.ExpectedSize, true
	case *remote.MountableLayer:
		n, err := l.Size()
		if err != nil || n < 4*bigUpload || l.Reference.Context().RegistryStr() == repo.RegistryStr() {
			return "", nil, false
		}
		d, _ := l.Digest()
		return "layer " + short(d), func() (int64, bool, bool) { return n, true, true }, true
	}
	return "", nil, false
}

// short is a digest as the log shows it: sha256 and 12 hex digits.
func short(h v1.Hash) string {
	if len(h.Hex) > 12 {
		return h.Algorithm + ":" + h.Hex[:12]
	}
	return h.String()
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
