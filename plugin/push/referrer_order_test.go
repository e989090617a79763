package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// The artifact is written and listed before its image is pushed (the
// distribution spec has registries take a subject that is not there
// yet): through the referrers API, or the fallback tag Stage writes.
// Abandon takes back an artifact whose image never comes, and puts the
// fallback tag back as it was.
func TestReferrerListedBeforeItsImageAndAbandonPutsTheListingBack(t *testing.T) {
	for _, referrersAPI := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "fallback tag"}[referrersAPI], func(t *testing.T) {
			ctx := context.Background()
			tag := referrersRegistry(t, referrersAPI)
			sess, err := newSessionWith(ctx, authn.Anonymous, http.DefaultTransport)
			if err != nil {
				t.Fatal(err)
			}
			sess.WarmReferrers(ctx, tag.Context())
			pushed, pushedDesc := randomSubject(t)
			_, neverDesc := randomSubject(t)
			art := func(n int) Referrer {
				return Referrer{ArtifactType: "application/vnd.in-toto+json", MediaType: "application/vnd.in-toto+json", Payload: fmt.Appendf(nil, `{"n":%d}`, n)}
			}
			st, err := sess.Stage(ctx, tag.Context(), pushedDesc, art(1))
			if err != nil {
				t.Fatalf("staging the referrer of an image not pushed yet: %v", err)
			}
			if _, err := remote.Head(tag.Context().Digest(st.Digest().String())); err != nil {
				t.Fatalf("the artifact's manifest is not in the repository after Stage: %v", err)
			}
			if got := referrersOf(t, tag.Context().Digest(pushedDesc.Digest.String())); len(got) != 1 || got[0] != st.Digest() {
				t.Fatalf("referrers of the image about to be pushed: %v, want [%s]", got, st.Digest())
			}
			if err := remote.Write(tag, pushed); err != nil {
				t.Fatal(err)
			}

			// A second artifact of the pushed image, abandoned: the first
			// stays listed, alone.
			second, err := sess.Stage(ctx, tag.Context(), pushedDesc, art(2))
			if err != nil {
				t.Fatal(err)
			}
			if got := referrersOf(t, tag.Context().Digest(pushedDesc.Digest.String())); len(got) != 2 {
				t.Fatalf("referrers after a second Stage: %v, want both", got)
			}
			if err := second.Abandon(ctx); err != nil {
				t.Fatalf("abandoning: %v", err)
			}
			if got := referrersOf(t, tag.Context().Digest(pushedDesc.Digest.String())); len(got) != 1 || got[0] != st.Digest() {
				t.Errorf("referrers after the second is abandoned: %v, want [%s]", got, st.Digest())
			}

			gone, err := sess.Stage(ctx, tag.Context(), neverDesc, art(3))
			if err != nil {
				t.Fatal(err)
			}
			if err := gone.Abandon(ctx); err != nil {
				t.Fatalf("abandoning: %v", err)
			}
			_, err = remote.Head(tag.Context().Digest(gone.Digest().String()))
			var terr *transport.Error
			if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
				t.Errorf("abandoned artifact: HEAD says %v, want 404", err)
			}
			if got := referrersOf(t, tag.Context().Digest(neverDesc.Digest.String())); len(got) != 0 {
				t.Errorf("referrers of an image never pushed: %v, want none", got)
			}
			if _, err := remote.Head(tag.Context().Tag(strings.Replace(neverDesc.Digest.String(), ":", "-", 1))); err == nil {
				t.Error("a fallback tag is left for an image never pushed")
			}
		})
	}
}

// referrersRegistry is go-containerregistry's registry on loopback, with
// or without the referrers API, and a tag in it.
func referrersRegistry(t *testing.T, referrersAPI bool) name.Tag {
	t.Helper()
	opts := []registry.Option{registry.Logger(log.New(io.Discard, "", 0))}
	if referrersAPI {
		opts = append(opts, registry.WithReferrersSupport(true))
	}
	srv := httptest.NewServer(registry.New(opts...))
	t.Cleanup(srv.Close)
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func randomSubject(t *testing.T) (v1.Image, v1.Descriptor) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := partial.Descriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	return img, *desc
}

// referrersOf lists the digests of ref's referrers, through the API or
// the fallback tag, as go-containerregistry's client finds them.
func referrersOf(t *testing.T, ref name.Digest) []v1.Hash {
	t.Helper()
	idx, err := remote.Referrers(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var ds []v1.Hash
	for _, m := range im.Manifests {
		ds = append(ds, m.Digest)
	}
	return ds
}
