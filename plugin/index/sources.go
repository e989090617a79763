package index

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sirupsen/logrus"
)

// MissingError names the sources that are not in the registry.
type MissingError struct {
	Refs   []string
	Waited time.Duration // how long the run waited for them
}

func (e *MissingError) Error() string {
	what := "source " + strings.Join(e.Refs, ", ")
	if len(e.Refs) > 1 {
		what = "sources " + strings.Join(e.Refs, ", ")
	}
	if e.Waited == 0 {
		return what + " not found in the registry; nothing was pushed (set PLUGIN_INDEX_WAIT to wait for images that other stages still push)"
	}
	return fmt.Sprintf("%s still not found after waiting %s (PLUGIN_INDEX_WAIT); nothing was pushed", what, e.Waited)
}

// Polling for missing sources starts at firstPoll and doubles up to maxPoll.
var (
	firstPoll = time.Second
	maxPoll   = 15 * time.Second
)

// fetchFunc reads one source from the registry.
type fetchFunc func(ctx context.Context, ref string) (Source, error)

// readAll reads every source, concurrently. Sources that are not in the
// registry yet are read again, with backoff, until wait has passed: the
// index step may start alongside the stages that push them.
func readAll(ctx context.Context, refs []string, wait time.Duration, fetch fetchFunc) ([]Source, error) {
	out := make([]Source, len(refs))
	pending := make([]int, len(refs))
	for i := range refs {
		pending[i] = i
	}
	start, delay := time.Now(), firstPoll
	for {
		var missing []int
		errs := make([]error, len(refs))
		var wg sync.WaitGroup
		for _, i := range pending {
			wg.Go(func() { out[i], errs[i] = fetch(ctx, refs[i]) })
		}
		wg.Wait()
		for _, i := range pending {
			if notFound(errs[i]) {
				missing, errs[i] = append(missing, i), nil
			}
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		if len(missing) == 0 {
			return out, nil
		}
		left := wait - time.Since(start)
		if left <= 0 {
			return nil, &MissingError{Refs: pick(refs, missing), Waited: wait}
		}
		logrus.Infof("waiting for %s: not in the registry yet (%s left of PLUGIN_INDEX_WAIT)", strings.Join(pick(refs, missing), ", "), max(left.Round(time.Second), time.Second))
		select {
		case <-time.After(min(delay, left)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		pending, delay = missing, min(2*delay, maxPoll)
	}
}

func pick(refs []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = refs[j]
	}
	return out
}

// notFound reports whether err says that the manifest or its repository
// does not exist.
func notFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
}

// remoteFetch reads a source with go-containerregistry. Only the manifest
// is read here; configs are read when the index is assembled.
func remoteFetch(opts []remote.Option) fetchFunc {
	return func(ctx context.Context, ref string) (Source, error) {
		r, err := name.ParseReference(ref, name.WeakValidation)
		if err != nil {
			return Source{}, fmt.Errorf("parsing source %q: %w", ref, err)
		}
		desc, err := remote.Get(r, append(opts, remote.WithContext(ctx))...)
		if err != nil {
			if notFound(err) {
				return Source{}, err
			}
			return Source{}, fmt.Errorf("reading source %s: %w", ref, err)
		}
		s := Source{Ref: ref}
		switch {
		case desc.MediaType.IsIndex():
			s.Index, err = desc.ImageIndex()
		case desc.MediaType.IsImage():
			s.Image, err = desc.Image()
		default:
			err = fmt.Errorf("it is a %s, neither an image nor an index", desc.MediaType)
		}
		if err != nil {
			return Source{}, fmt.Errorf("reading source %s: %w", ref, err)
		}
		return s, nil
	}
}
