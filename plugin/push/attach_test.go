package push

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
)

// attachRegistry is go-containerregistry's registry over plain HTTP on
// loopback; hook, when set, runs before each request and may answer it.
func attachRegistry(t *testing.T, hook func(w http.ResponseWriter, r *http.Request) bool) (name.Tag, *Session) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hook != nil && hook(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := newSessionWith(context.Background(), authn.Anonymous, http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	return tag, sess
}

// attachCall is what Request.Attach saw.
type attachCall struct {
	mu     sync.Mutex
	at     time.Time
	res    Result
	tagged []bool
}

func (c *attachCall) attach(_ context.Context, res Result) func(context.Context, bool) {
	c.mu.Lock()
	c.at, c.res = time.Now(), res
	c.mu.Unlock()
	return func(_ context.Context, tagged bool) {
		c.mu.Lock()
		c.tagged = append(c.tagged, tagged)
		c.mu.Unlock()
	}
}

// The provenance starts as soon as the new layers are compressed and the
// image's digest is known, while the last blob is still being committed,
// not once the upload has ended; it is finished once, with the tags
// written.
func TestAttachStartsOnceTheDigestIsKnownWhileTheBlobsStillUpload(t *testing.T) {
	var mu sync.Mutex
	var lastBlob time.Time
	tag, sess := attachRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") {
			time.Sleep(300 * time.Millisecond) // a slow commit of each blob
			defer func() { mu.Lock(); lastBlob = time.Now(); mu.Unlock() }()
		}
		return false
	})
	img, _, _, _ := builtImage(t, 2<<20)
	var call attachCall
	res := publish(t, sess, img, []name.Tag{tag}, func(r *Request) { r.Attach = call.attach })
	mu.Lock()
	defer mu.Unlock()
	if call.at.IsZero() {
		t.Fatal("Attach was not called")
	}
	if !call.at.Before(lastBlob.Add(-200 * time.Millisecond)) {
		t.Errorf("Attach started %s after the last blob's commit ended, want while it ran", call.at.Sub(lastBlob))
	}
	if call.res.Digest != res.Digest || call.res.Unchanged || len(call.res.Pushed) != 1 {
		t.Errorf("Attach saw %+v, the push made %s", call.res, res.Digest)
	}
	if len(call.tagged) != 1 || !call.tagged[0] {
		t.Errorf("finished with tagged %v, want [true]", call.tagged)
	}
}

// A push whose tag is refused finishes the attachment untagged, for the
// provenance written beside it to be taken away.
func TestAttachIsFinishedUntaggedWhenTheTagIsRefused(t *testing.T) {
	tag, sess := attachRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/v1") {
			http.Error(w, `{"errors":[{"code":"DENIED","message":"tag is immutable"}]}`, http.StatusForbidden)
			return true
		}
		return false
	})
	img, _, _, _ := builtImage(t, 1<<20)
	var call attachCall
	_, err := Publish(context.Background(), img, sess, Request{Destinations: []string{tag.String()}, SpoolDir: t.TempDir(), Attach: call.attach})
	if err == nil {
		t.Fatal("the push of a refused tag succeeded")
	}
	call.mu.Lock()
	defer call.mu.Unlock()
	if len(call.tagged) != 1 || call.tagged[0] {
		t.Errorf("finished with tagged %v, want [false]", call.tagged)
	}
}

// An image every tag holds already is known unchanged only once the
// upload has counted its blobs: Attach sees Unchanged with none uploaded.
func TestAttachOfAnUnchangedImageSeesItUnchangedWithNothingUploaded(t *testing.T) {
	tag, sess := attachRegistry(t, nil)
	img := testImage(t)
	publish(t, sess, img, []name.Tag{tag}, nil)
	var call attachCall
	publish(t, sess, img, []name.Tag{tag}, func(r *Request) { r.Attach = call.attach })
	call.mu.Lock()
	defer call.mu.Unlock()
	if !call.res.Unchanged || call.res.Uploaded != 0 {
		t.Errorf("Attach saw Unchanged %t, Uploaded %d; want true, 0", call.res.Unchanged, call.res.Uploaded)
	}
}

// Where the registry has no referrers API, the provenance's fallback
// index is written beside the image's blobs, before its tags: the run
// waits for no request of the provenance's once the tags are read back.
func TestFallbackIndexIsWrittenWhileTheBlobsUploadNotAfterTheTags(t *testing.T) {
	payload := []byte(`{"statement":1}`)
	statement, _, _ := v1.SHA256(bytes.NewReader(payload))
	var mu sync.Mutex
	var fallbackAt, tagAt time.Time
	tag, sess := attachRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") && r.URL.Query().Get("digest") != statement.String():
			time.Sleep(300 * time.Millisecond) // a slow commit of each of the image's blobs
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/sha256-"):
			mu.Lock()
			fallbackAt = time.Now()
			mu.Unlock()
		case r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/v1"):
			mu.Lock()
			tagAt = time.Now()
			mu.Unlock()
		}
		return false
	})
	sess.WarmReferrers(context.Background(), tag.Context()) // as during the build
	img, _, _, _ := builtImage(t, 2<<20)
	var staged *Staged
	res := publish(t, sess, img, []name.Tag{tag}, func(r *Request) {
		r.Attach = func(ctx context.Context, res Result) func(context.Context, bool) {
			desc, err := partial.Descriptor(res.Image)
			if err != nil {
				t.Error(err)
				return nil
			}
			if staged, err = sess.Stage(ctx, tag.Context(), *desc, Referrer{ArtifactType: "application/vnd.in-toto+json", MediaType: "application/vnd.in-toto+json", Payload: payload}); err != nil {
				t.Errorf("staging: %v", err)
			}
			return nil
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if staged == nil || fallbackAt.IsZero() || tagAt.IsZero() {
		t.Fatalf("staged %v, fallback index written at %v, tag at %v; want all three", staged, fallbackAt, tagAt)
	}
	if !fallbackAt.Before(tagAt) {
		t.Errorf("the fallback index was written %s after the tag, want before it", fallbackAt.Sub(tagAt))
	}
	if got := referrersOf(t, tag.Context().Digest(res.Digest)); len(got) != 1 || got[0] != staged.Digest() {
		t.Errorf("referrers of the pushed image: %v, want [%s]", got, staged.Digest())
	}
}
