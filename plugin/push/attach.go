package push

import (
	"context"
	"slices"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// attaching is req.Attach at work beside the push. It starts as soon as
// the image's digest is known (the new layers compressed, while they may
// still upload) for an image that is new where it goes; for one that
// every tag holds already, it waits for the upload, whose count of blobs
// decides (Result.Unchanged, Uploaded). It finishes once the tags are
// written or have failed. The push waits for it only at the end: Publish
// returns once it is done.
type attaching struct {
	tagged chan bool
	up     chan uploadResult
	wg     sync.WaitGroup
}

type uploadResult struct {
	n   int64
	err error
}

func startAttach(ctx context.Context, req Request, prep *prepared, heads func() []v1.Hash) *attaching {
	a := &attaching{tagged: make(chan bool, 1), up: make(chan uploadResult, 1)}
	if req.Attach == nil {
		return a
	}
	a.wg.Go(func() {
		res, ok := a.known(ctx, prep, heads)
		if !ok {
			return
		}
		res.Pushed = req.Destinations
		if finish := req.Attach(ctx, res); finish != nil {
			finish(ctx, <-a.tagged)
		}
	})
	return a
}

// known is the result to attach to, as soon as it is known; false when
// the upload fails first, or the image cannot be described (the push
// then fails the same way).
func (a *attaching) known(ctx context.Context, prep *prepared, heads func() []v1.Hash) (Result, bool) {
	var up *uploadResult
	waitUpload := func() bool {
		if up == nil {
			r := <-a.up
			up = &r
		}
		return up.err == nil
	}
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	compressed := make(chan error, 1)
	go func() { compressed <- prep.wait(cctx) }()
	select {
	case <-compressed: // a compression that failed fails prep.image below
	case r := <-a.up:
		up = &r
	}
	if up != nil && up.err != nil {
		return Result{}, false
	}
	final, err := prep.image()
	if err != nil {
		return Result{}, false
	}
	res, err := describe(final)
	if err != nil {
		return Result{}, false
	}
	if res.Unchanged = unchanged(heads(), res.Digest); res.Unchanged {
		if !waitUpload() {
			return Result{}, false
		}
		res.Uploaded = up.n
	}
	return res, true
}

// uploaded tells the attaching how the upload ended: blobs sent, error.
func (a *attaching) uploaded(n int64, err error) {
	a.up <- uploadResult{n: n, err: err}
}

// done says whether every tag was written; only its first word counts.
func (a *attaching) done(ok bool) {
	select {
	case a.tagged <- ok:
	default:
	}
}

func (a *attaching) wait() {
	a.done(false)
	a.wg.Wait()
}

// unchanged says whether every tag held the image digest already.
func unchanged(held []v1.Hash, digest string) bool {
	return !slices.ContainsFunc(held, func(h v1.Hash) bool { return h.String() != digest })
}

// later runs f in the background; what it returns waits for f's result.
func later[T any](f func() T) func() T {
	done := make(chan struct{})
	var v T
	go func() {
		defer close(done)
		v = f()
	}()
	return func() T {
		<-done
		return v
	}
}
