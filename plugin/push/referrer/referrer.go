package referrer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// emptyJSON is the OCI empty descriptor's content: the config of an
// artifact that has none (image-spec 1.1, "Guidance for an empty
// descriptor").
var emptyJSON = []byte("{}")

const emptyMediaType types.MediaType = "application/vnd.oci.empty.v1+json"

// Referrer is an artifact to attach to a manifest: one blob, its type, and
// annotations for the manifest and the blob.
type Referrer struct {
	ArtifactType string
	MediaType    types.MediaType // of Payload
	Payload      []byte
	Annotations  map[string]string
}

// Staged is a referrer whose blobs are in the repository and whose
// manifest is not written yet: staging may run while the image's tags are
// written, and Commit once they are.
type Staged struct {
	a       *Repo
	subject v1.Descriptor
	raw     []byte        // the artifact's manifest
	desc    v1.Descriptor // of the manifest, as a fallback index lists it
	index   *v1.IndexManifest
}

// Stage uploads the referrer's payload (the one upload an artifact costs:
// the empty config is uploaded once per repository, and only where the
// repository lacks it), and, where the registry has no referrers API,
// reads the subject's fallback index, all at once.
func (a *Repo) Stage(ctx context.Context, subject v1.Descriptor, r Referrer) (*Staged, error) {
	bd, _, err := v1.SHA256(bytes.NewReader(r.Payload))
	if err != nil {
		return nil, err
	}
	sub := v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest}
	raw, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  r.ArtifactType,
		Config:        v1.Descriptor{MediaType: emptyMediaType, Size: int64(len(emptyJSON)), Digest: emptyDigest, Data: emptyJSON},
		Layers:        []v1.Descriptor{{MediaType: r.MediaType, Size: int64(len(r.Payload)), Digest: bd, Annotations: r.Annotations}},
		Subject:       &sub,
		Annotations:   r.Annotations,
	})
	if err != nil {
		return nil, err
	}
	d, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	st := &Staged{a: a, subject: sub, raw: raw, desc: v1.Descriptor{
		MediaType: types.OCIManifestSchema1, Size: size, Digest: d, ArtifactType: r.ArtifactType, Annotations: r.Annotations,
	}}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.ensureEmpty(gctx) })
	g.Go(func() error { return a.upload(gctx, r.Payload, bd, true) })
	if a.referrersAPI() == apiNo {
		g.Go(func() (err error) { st.index, err = a.fallbackIndex(gctx, sub.Digest); return err })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("uploading the referrer's blobs to %s: %w", a.repo, err)
	}
	return st, nil
}

// Digest is the digest of the staged artifact's manifest.
func (st *Staged) Digest() v1.Hash { return st.desc.Digest }

// Commit writes the artifact's manifest. Where the registry answers the
// referrers API, that is all; where it does not, the artifact is added to
// the index under the subject's fallback tag (sha256-<hex>), as the
// distribution spec's referrers tag schema says. The image's tags are left
// alone.
func (st *Staged) Commit(ctx context.Context) (v1.Hash, error) {
	a, d := st.a, st.desc.Digest
	fail := func(err error) (v1.Hash, error) {
		return v1.Hash{}, fmt.Errorf("writing the referrer of %s in %s: %w", st.subject.Digest, a.repo, err)
	}
	took, err := a.putManifest(ctx, d.String(), st.raw, types.OCIManifestSchema1)
	if err != nil {
		return fail(err)
	}
	api := a.referrersAPI()
	if api == apiUnknown {
		// The repository was new when probed; it holds the image now.
		api = a.probe(ctx, st.subject.Digest)
		a.setReferrersAPI(api)
	}
	if took || api == apiYes {
		return d, nil
	}
	if st.index == nil {
		if st.index, err = a.fallbackIndex(ctx, st.subject.Digest); err != nil {
			return fail(err)
		}
	}
	im := st.index
	if slices.ContainsFunc(im.Manifests, func(m v1.Descriptor) bool { return m.Digest == d }) {
		return d, nil
	}
	im.Manifests = append(im.Manifests, st.desc)
	slices.SortFunc(im.Manifests, func(x, y v1.Descriptor) int { return cmp.Compare(x.Digest.String(), y.Digest.String()) })
	raw, err := json.Marshal(im)
	if err != nil {
		return fail(err)
	}
	if _, err := a.putManifest(ctx, fallbackTag(st.subject.Digest), raw, types.OCIImageIndex); err != nil {
		return fail(fmt.Errorf("updating the fallback tag %s: %w", fallbackTag(st.subject.Digest), err))
	}
	return d, nil
}
