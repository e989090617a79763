package push

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/sirupsen/logrus"
)

// keepCreated returns img with the creation time of the image one of the
// tags already holds, when the two configs differ in that time alone: the
// same layers, history and settings. kaniko stamps the final image with
// the clock, so without this a rebuild that changed nothing (every layer
// from the cache) would still get a new config and a new digest; BuildKit
// keeps the cached result, and its time. A tag that cannot be read, or
// holds anything else, leaves img as it is.
func (s *Session) keepCreated(ctx context.Context, img v1.Image, tags []name.Tag) v1.Image {
	cf, err := img.ConfigFile()
	if err != nil {
		return img
	}
	mine, err := withoutCreated(cf)
	if err != nil {
		return img
	}
	held := make([]*v1.ConfigFile, len(tags))
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			if desc, err := s.puller.Get(ctx, t); err == nil && desc.MediaType.IsImage() {
				if prev, err := desc.Image(); err == nil {
					held[i], _ = prev.ConfigFile()
				}
			}
		})
	}
	wg.Wait()
	for i, h := range held {
		if h == nil || h.Created.Equal(cf.Created.Time) {
			continue
		}
		if theirs, err := withoutCreated(h); err != nil || !bytes.Equal(mine, theirs) {
			continue
		}
		out, err := mutate.CreatedAt(img, h.Created)
		if err != nil {
			return img
		}
		logrus.Infof("the image is the one %s holds but for its creation time: keeping that time, %s", tags[i], h.Created.UTC().Format("2006-01-02T15:04:05Z"))
		return out
	}
	return img
}

// withoutCreated is the config's JSON with the creation time left out.
func withoutCreated(cf *v1.ConfigFile) ([]byte, error) {
	c := cf.DeepCopy()
	c.Created = v1.Time{}
	return json.Marshal(c)
}

// blobCounter counts the blob uploads a session completes (the PUT that
// closes an upload; a cross-repository mount sends none).
type blobCounter struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *blobCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") && resp.StatusCode == http.StatusCreated {
		c.n.Add(1)
	}
	return resp, err
}
