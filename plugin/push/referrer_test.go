package push

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The artifact is found through the referrers API where the registry
// serves it, and through the sha256-<hex> fallback tag where it does not;
// either way the image's tag still names the image.
func TestAttachedReferrerIsListedThroughTheAPIOrTheFallbackTag(t *testing.T) {
	for _, tc := range []struct {
		name         string
		referrersAPI bool
	}{
		{"registry with the referrers API", true},
		{"registry without it: fallback tag", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			tag := referrersRegistry(t, tc.referrersAPI)
			img, err := random.Image(512, 2)
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(tag, img); err != nil {
				t.Fatal(err)
			}
			imgDigest, _ := img.Digest()
			desc, err := remote.Head(tag)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := newSessionWith(ctx, authn.Anonymous, http.DefaultTransport)
			if err != nil {
				t.Fatal(err)
			}
			payload := []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)
			d, err := sess.Attach(ctx, tag.Context(), *desc, Referrer{
				ArtifactType: "application/vnd.in-toto+json", MediaType: "application/vnd.in-toto+json", Payload: payload,
				Annotations: map[string]string{"in-toto.io/predicate-type": "https://slsa.dev/provenance/v1"},
			})
			if err != nil {
				t.Fatal(err)
			}

			idx, err := remote.Referrers(tag.Context().Digest(imgDigest.String()))
			if err != nil {
				t.Fatal(err)
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			// go-containerregistry's registry lists the config's media type
			// as the artifact type; the manifest's own is checked below.
			if len(im.Manifests) != 1 || im.Manifests[0].Digest != d {
				t.Fatalf("referrers of %s: %+v, want the artifact %s", imgDigest, im.Manifests, d)
			}
			if !tc.referrersAPI && im.Manifests[0].ArtifactType != "application/vnd.in-toto+json" {
				t.Errorf("fallback index lists artifact type %q", im.Manifests[0].ArtifactType)
			}
			art, err := remote.Image(tag.Context().Digest(d.String()))
			if err != nil {
				t.Fatal(err)
			}
			m, _ := art.Manifest()
			if m.ArtifactType != "application/vnd.in-toto+json" {
				t.Errorf("artifact type %q", m.ArtifactType)
			}
			if m.Subject == nil || m.Subject.Digest != imgDigest || m.Config.MediaType != "application/vnd.oci.empty.v1+json" || m.Config.Size != 2 {
				t.Errorf("artifact manifest: subject %+v, config %+v", m.Subject, m.Config)
			}
			layers, _ := art.Layers()
			rc, err := layers[0].Compressed()
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			if string(got) != string(payload) {
				t.Errorf("payload %q, want %q", got, payload)
			}

			if now, err := remote.Head(tag); err != nil || now.Digest != imgDigest {
				t.Errorf("tag v1 now names %v (%v), want the image %s", now, err, imgDigest)
			}
			fallback := tag.Context().Tag(strings.Replace(imgDigest.String(), ":", "-", 1))
			_, err = remote.Head(fallback)
			if tc.referrersAPI && err == nil {
				t.Errorf("fallback tag %s written although the registry serves the referrers API", fallback)
			}
			if !tc.referrersAPI && err != nil {
				t.Errorf("fallback tag %s: %v", fallback, err)
			}
		})
	}
}

// A registry that refuses the artifact fails Attach with the reason, for
// the run to warn about.
func TestAttachReportsARefusedUpload(t *testing.T) {
	ctx := context.Background()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/sha256:") {
			http.Error(w, `{"errors":[{"code":"DENIED","message":"policy denies the upload"}]}`, http.StatusForbidden)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	repo, _ := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/team/app")
	sess, err := newSessionWith(ctx, authn.Anonymous, http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	sub := v1.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 10, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}}
	_, err = sess.Attach(ctx, repo, sub, Referrer{ArtifactType: "application/vnd.in-toto+json", MediaType: "application/vnd.in-toto+json", Payload: []byte("{}")})
	if err == nil || !strings.Contains(err.Error(), "policy denies the upload") {
		t.Fatalf("err = %v, want the registry's reason", err)
	}
}

// requestLog records the requests a registry gets, as "METHOD kind".
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

func (l *requestLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := r.URL.Path
		switch {
		case strings.Contains(kind, "/blobs/uploads/"):
			kind = "upload"
		case strings.Contains(kind, "/blobs/"):
			kind = "blob"
		case strings.Contains(kind, "/referrers/"):
			kind = "referrers"
		case strings.Contains(kind, "/manifests/sha256-"):
			kind = "fallback"
		case strings.Contains(kind, "/manifests/"):
			kind = "manifest"
		}
		l.mu.Lock()
		l.reqs = append(l.reqs, r.Method+" "+kind)
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.reqs
	l.reqs = nil
	slices.Sort(out)
	return out
}

// Warming during the build signs in, learns what attaching needs and puts
// the empty config in the repository, once, opening no upload ahead; then
// each artifact costs one blob upload (open, close) and its manifest,
// plus, without the referrers API, one read and one write of the fallback
// index.
func TestAttachingAfterWarmCostsOneUploadAndOneManifestPerArtifact(t *testing.T) {
	for _, tc := range []struct {
		name         string
		referrersAPI bool
		each         []string
	}{
		{"registry with the referrers API", true, []string{"POST upload", "PUT manifest", "PUT upload"}},
		{"registry without it: fallback tag", false, []string{"GET fallback", "POST upload", "PUT fallback", "PUT manifest", "PUT upload"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			opts := []registry.Option{registry.Logger(log.New(io.Discard, "", 0))}
			if tc.referrersAPI {
				opts = append(opts, registry.WithReferrersSupport(true))
			}
			var rl requestLog
			srv := httptest.NewServer(rl.wrap(registry.New(opts...)))
			defer srv.Close()
			tag, _ := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/team/app:v1")
			img, _ := random.Image(512, 1)
			if err := remote.Write(tag, img); err != nil {
				t.Fatal(err)
			}
			desc, err := remote.Head(tag)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := newSessionWith(ctx, authn.Anonymous, http.DefaultTransport)
			if err != nil {
				t.Fatal(err)
			}
			rl.take()
			sess.WarmReferrers(ctx, tag.Context())
			if got := rl.take(); !slices.Equal(got, []string{"GET /v2/", "GET referrers", "HEAD blob", "POST upload", "PUT upload"}) {
				t.Errorf("warming: %v, want the ping, the referrers probe, the empty blob's HEAD and upload, and no upload opened ahead", got)
			}
			sess.WarmReferrers(ctx, tag.Context())
			if got := rl.take(); len(got) != 0 {
				t.Errorf("warming again: %v, want nothing", got)
			}
			for i := range 3 {
				payload := fmt.Appendf(nil, `{"n":%d}`, i)
				if _, err := sess.Attach(ctx, tag.Context(), *desc, Referrer{ArtifactType: "application/vnd.in-toto+json", MediaType: "application/vnd.in-toto+json", Payload: payload}); err != nil {
					t.Fatal(err)
				}
				if got := rl.take(); !slices.Equal(got, tc.each) {
					t.Errorf("artifact %d: %v, want %v", i, got, tc.each)
				}
			}
			idx, err := remote.Referrers(tag.Context().Digest(desc.Digest.String()))
			if err != nil {
				t.Fatal(err)
			}
			if im, _ := idx.IndexManifest(); len(im.Manifests) != 3 {
				t.Errorf("referrers: %+v, want the 3 artifacts", im.Manifests)
			}
		})
	}
}

// A repository warmed before anything is in it (the registry cannot say
// yet whether it serves the referrers API) is asked again when the first
// artifact is attached, and no fallback tag is written where it does.
func TestAReferrersProbeOfANewRepositoryIsAskedAgainAtTheFirstAttach(t *testing.T) {
	ctx := context.Background()
	var rl requestLog
	srv := httptest.NewServer(rl.wrap(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))))
	defer srv.Close()
	tag, _ := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/team/new:v1")
	sess, err := newSessionWith(ctx, authn.Anonymous, http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	sess.WarmReferrers(ctx, tag.Context())
	img, _ := random.Image(256, 1)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(tag)
	if err != nil {
		t.Fatal(err)
	}
	rl.take()
	if _, err := sess.Attach(ctx, tag.Context(), *desc, Referrer{ArtifactType: "application/vnd.in-toto+json", MediaType: "application/vnd.in-toto+json", Payload: []byte(`{"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	if got, want := rl.take(), []string{"GET referrers", "POST upload", "PUT manifest", "PUT upload"}; !slices.Equal(got, want) {
		t.Errorf("attaching: %v, want %v", got, want)
	}
	idx, err := remote.Referrers(tag.Context().Digest(desc.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	if im, _ := idx.IndexManifest(); len(im.Manifests) != 1 {
		t.Errorf("referrers %+v, want the artifact", im.Manifests)
	}
}
