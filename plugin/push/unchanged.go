package push

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/rawconfig"
)

// keepCreated returns img with the creation time of the image one of the
// tags already holds, when the two configs differ in that time alone: the
// same layers, history and settings. kaniko stamps the final image with
// the clock, so without this a rebuild that changed nothing (every layer
// from the cache) would still get a new config and a new digest; BuildKit
// keeps the cached result, and its time. A tag that cannot be read, or
// holds anything else, leaves img as it is.
func (s *Session) keepCreated(ctx context.Context, img v1.Image, tags []name.Tag) v1.Image {
	raw, err := img.RawConfigFile()
	if err != nil {
		return img
	}
	mine, err := withoutCreated(raw)
	if err != nil {
		return img
	}
	held := make([][]byte, len(tags))
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			if desc, err := s.puller.Get(ctx, t); err == nil && desc.MediaType.IsImage() {
				if prev, err := desc.Image(); err == nil {
					held[i], _ = prev.RawConfigFile()
				}
			}
		})
	}
	wg.Wait()
	for i, h := range held {
		if h == nil || bytes.Equal(h, raw) {
			continue
		}
		if theirs, err := withoutCreated(h); err != nil || !reflect.DeepEqual(mine, theirs) {
			continue
		}
		out, err := rawconfig.Image(img, h)
		if err != nil {
			return img
		}
		if cf, err := out.ConfigFile(); err == nil {
			logrus.Infof("the image is the one %s holds but for its creation time: keeping that time, %s", tags[i], cf.Created.UTC().Format("2006-01-02T15:04:05Z"))
		}
		return out
	}
	return img
}

// withoutCreated is the config, as JSON values, with the creation time
// left out. The configs are compared as given, not through
// go-containerregistry's ConfigFile, which drops what it has no field for.
func withoutCreated(raw []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	delete(m, "created")
	return m, nil
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
