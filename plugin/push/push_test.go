package push

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// request is what the test registry saw of one request.
type request struct {
	method, path, proto string
	length              int64
}

// testRegistry is go-containerregistry's in-memory registry behind TLS
// with HTTP/2 on, recording every request.
type testRegistry struct {
	srv   *httptest.Server
	delay time.Duration // added to every request, as a round trip
	// bodyDelay is waited after every 32 KiB of an upload's body: a slow link.
	bodyDelay time.Duration
	// failBigPatches fails that many uploads of unknown or large size
	// after reading 1 MiB of them.
	failBigPatches atomic.Int32
	mu             sync.Mutex
	reqs           []request
}

func newTestRegistry(t testing.TB) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	tr.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		tr.reqs = append(tr.reqs, request{r.Method, r.URL.Path, r.Proto, r.ContentLength})
		tr.mu.Unlock()
		time.Sleep(tr.delay)
		if r.Method == http.MethodPatch && (r.ContentLength < 0 || r.ContentLength >= bigUpload) && tr.failBigPatches.Add(-1) >= 0 {
			io.CopyN(io.Discard, r.Body, 1<<20)
			http.Error(w, "injected failure", http.StatusInternalServerError)
			return
		}
		if tr.bodyDelay > 0 {
			r.Body = io.NopCloser(&slowReader{r: r.Body, delay: tr.bodyDelay})
		}
		// go-containerregistry's registry reads an upload's body while it
		// holds its one lock; over HTTP/2 a body that waits for the
		// connection's flow-control window can then deadlock with other
		// streams waiting for that lock. Read it first.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		reg.ServeHTTP(w, r)
	}))
	tr.srv.EnableHTTP2 = true
	tr.srv.StartTLS()
	t.Cleanup(tr.srv.Close)
	return tr
}

type slowReader struct {
	r     io.Reader
	delay time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.delay)
	return s.r.Read(p[:min(len(p), 32<<10)])
}

func (tr *testRegistry) host() string { return strings.TrimPrefix(tr.srv.URL, "https://") }

func (tr *testRegistry) session(t testing.TB) *Session {
	t.Helper()
	s, err := newSessionWith(context.Background(), authn.Anonymous, splitUploads(tr.srv.Client().Transport))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (tr *testRegistry) requests() []request {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]request(nil), tr.reqs...)
}

func (tr *testRegistry) reset() {
	tr.mu.Lock()
	tr.reqs = nil
	tr.mu.Unlock()
}

func (tr *testRegistry) tags(t testing.TB, repo string, names ...string) []name.Tag {
	t.Helper()
	var out []name.Tag
	for _, n := range names {
		tag, err := name.NewTag(fmt.Sprintf("%s/%s:%s", tr.host(), repo, n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tag)
	}
	return out
}

// testImage has two small layers and one of 5 MiB, above bigUpload.
func testImage(t testing.TB) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	big, err := random.Layer(5<<20, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.AppendLayers(img, big)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPushUploadsBlobsOnceAndWritesEveryTag(t *testing.T) {
	reg := newTestRegistry(t)
	img := testImage(t)
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	tags := reg.tags(t, "app", "t1", "t2", "t3", "t4", "t5")
	s := reg.session(t)
	if res := publish(t, s, img, tags, nil); res.Digest != want.String() {
		t.Errorf("published %s, want the image's own digest %s (no layer of it was built here)", res.Digest, want)
	}

	patches, puts := 0, map[string]int{}
	for _, r := range reg.requests() {
		switch {
		case r.method == http.MethodPatch:
			patches++
			if wantProto := "HTTP/2.0"; r.length >= bigUpload {
				if r.proto != "HTTP/1.1" {
					t.Errorf("upload of %d bytes went over %s, want HTTP/1.1", r.length, r.proto)
				}
			} else if r.proto != wantProto {
				t.Errorf("upload of %d bytes went over %s, want %s", r.length, r.proto, wantProto)
			}
		case r.method == http.MethodPut && strings.Contains(r.path, "/manifests/"):
			puts[r.path]++
		case r.proto != "HTTP/2.0":
			t.Errorf("%s %s went over %s, want HTTP/2.0", r.method, r.path, r.proto)
		}
	}
	if patches != 4 { // three layers and the config
		t.Errorf("uploaded %d blobs, want 4, each once", patches)
	}
	for _, tag := range tags {
		if n := puts["/v2/app/manifests/"+tag.TagStr()]; n != 1 {
			t.Errorf("manifest written %d times under %s, want once", n, tag.TagStr())
		}
	}
}

func TestPushLeavesTagsThatAlreadyHoldTheImage(t *testing.T) {
	reg := newTestRegistry(t)
	img := testImage(t)
	tags := reg.tags(t, "app", "old", "new")
	if err := remote.Write(tags[0], img, remote.WithTransport(reg.srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	reg.reset()

	publish(t, reg.session(t), img, tags, nil)
	for _, r := range reg.requests() {
		if r.method == http.MethodPatch {
			t.Errorf("uploaded a blob (%s) that the repository had", r.path)
		}
		if r.method == http.MethodPut && r.path == "/v2/app/manifests/old" {
			t.Error("rewrote the manifest of a tag that already held the image")
		}
	}
	if _, err := remote.Head(tags[1], remote.WithTransport(reg.srv.Client().Transport)); err != nil {
		t.Errorf("new tag: %v", err)
	}
}

func TestVerifyNamesTheTagThatDiffers(t *testing.T) {
	reg := newTestRegistry(t)
	img, other := testImage(t), testImage(t)
	tags := reg.tags(t, "app", "a", "b")
	s := reg.session(t)
	ctx := context.Background()
	publish(t, s, img, tags[:1], nil)
	publish(t, s, other, tags[1:], nil)
	want, _ := img.Digest()
	err := s.verify(ctx, tags, want)
	if err == nil || !strings.Contains(err.Error(), tags[1].String()) || strings.Contains(err.Error(), tags[0].String()+" holds") {
		t.Fatalf("verify: got %v, want an error about %s only", err, tags[1])
	}
}

type recordRT struct{ name string }

func (r recordRT) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: r.name, Body: http.NoBody}, nil
}

func TestSplitUploadsRoutesLargeBodiesOnly(t *testing.T) {
	tr := &uploadSplitter{small: recordRT{"small"}, large: recordRT{"large"}}
	body := strings.NewReader("x")
	for _, tc := range []struct {
		method string
		length int64
		body   io.Reader
		want   string
	}{
		{http.MethodPatch, bigUpload, body, "large"},
		{http.MethodPatch, bigUpload - 1, body, "small"},
		{http.MethodPatch, 0, io.MultiReader(body), "large"}, // unknown length
		{http.MethodPatch, 0, nil, "small"},
		{http.MethodPut, bigUpload, body, "small"},
		{http.MethodHead, 0, nil, "small"},
	} {
		r, err := http.NewRequest(tc.method, "https://registry.example/v2/", tc.body)
		if err != nil {
			t.Fatal(err)
		}
		r.ContentLength = tc.length
		resp, err := tr.RoundTrip(r)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != tc.want {
			t.Errorf("%s of %d bytes: went %s, want %s", tc.method, tc.length, resp.Status, tc.want)
		}
	}
	if got := splitUploads(recordRT{}); got != (recordRT{}) {
		t.Errorf("a transport that is not *http.Transport should pass through, got %T", got)
	}
}

// BenchmarkPushTags pushes a fresh small image under five tags, each
// request delayed by 2 ms as a stand-in for a round trip: the session
// (blobs once while the tags are read, then every manifest at once) against
// remote.Write for the first tag and remote.Tag for the rest, as before.
func BenchmarkPushTags(b *testing.B) {
	tagNames := []string{"t1", "t2", "t3", "t4", "t5"}
	image := func(b *testing.B) v1.Image {
		b.StopTimer()
		defer b.StartTimer()
		img, err := random.Image(1024, 3)
		if err != nil {
			b.Fatal(err)
		}
		return img
	}
	b.Run("session", func(b *testing.B) {
		reg := newTestRegistry(b)
		reg.delay = 2 * time.Millisecond
		s := reg.session(b)
		for i := 0; b.Loop(); i++ {
			publish(b, s, image(b), reg.tags(b, fmt.Sprintf("s%d", i), tagNames...), nil)
		}
		b.ReportMetric(float64(len(reg.requests()))/float64(b.N), "requests/op")
	})
	b.Run("write+tag", func(b *testing.B) {
		reg := newTestRegistry(b)
		reg.delay = 2 * time.Millisecond
		tr := reg.srv.Client().Transport
		for i := 0; b.Loop(); i++ {
			img := image(b)
			tags := reg.tags(b, fmt.Sprintf("w%d", i), tagNames...)
			if err := remote.Write(tags[0], img, remote.WithTransport(tr)); err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, t := range tags[1:] {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := remote.Tag(t, img, remote.WithTransport(tr)); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		b.ReportMetric(float64(len(reg.requests()))/float64(b.N), "requests/op")
	})
}
func TestPublishSkipsTheTagsBeforePushNamesButReadsThemBack(t *testing.T) {
	reg := newTestRegistry(t)
	img := testImage(t)
	tags := reg.tags(t, "app", "v1", "v2", "latest")
	if err := remote.Write(tags[1], img, remote.WithTransport(reg.srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	reg.reset()
	res := publish(t, reg.session(t), img, tags, func(r *Request) {
		r.BeforePush = func(_ context.Context, digest string) ([]string, error) {
			return []string{tags[1].String()}, nil
		}
	})
	for _, r := range reg.requests() {
		if r.method == http.MethodPut && r.path == "/v2/app/manifests/v2" {
			t.Error("wrote the tag BeforePush said to skip")
		}
	}
	if len(res.Pushed) != 3 {
		t.Errorf("pushed %v, want all three destinations (the skipped one read back)", res.Pushed)
	}
}

// publish runs Publish of img to tags over s, with a spool folder of the
// test's own; mod changes the request.
func publish(t testing.TB, s *Session, img v1.Image, tags []name.Tag, mod func(*Request)) Result {
	t.Helper()
	req := Request{SpoolDir: t.TempDir()}
	for _, tag := range tags {
		req.Destinations = append(req.Destinations, tag.String())
	}
	if mod != nil {
		mod(&req)
	}
	res, err := Publish(context.Background(), img, s, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
