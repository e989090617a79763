package referrer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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

// Staged is a referrer whose blobs and manifest are in the repository.
// The distribution spec (v1.1, "Push") has registries take a manifest
// whose subject is not there yet, so the artifact is written while the
// image's tags are: where the registry answers the referrers API, it is
// listed from then on. Without that API, Commit adds it to the subject's
// fallback tag once the image is tagged; Abandon removes it if the image
// never is.
type Staged struct {
	a       *Repo
	subject v1.Descriptor
	desc    v1.Descriptor // of the manifest, as a fallback index lists it
	listed  bool          // the registry took the subject: nothing to commit
	index   *v1.IndexManifest
}

// Stage uploads the referrer's payload (the one upload an artifact costs:
// the empty config is uploaded once per repository, and only where the
// repository lacks it) and writes its manifest; where the registry has no
// referrers API, it also reads the subject's fallback index, for Commit.
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
	st := &Staged{a: a, subject: sub, desc: v1.Descriptor{
		MediaType: types.OCIManifestSchema1, Size: size, Digest: d, ArtifactType: r.ArtifactType, Annotations: r.Annotations,
	}}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.ensureEmpty(gctx) })
	g.Go(func() error { return a.upload(gctx, r.Payload, bd) })
	if a.referrersAPI() == apiNo {
		g.Go(func() (err error) { st.index, err = a.fallbackIndex(gctx, sub.Digest); return err })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("uploading the referrer's blobs to %s: %w", a.repo, err)
	}
	if err := st.write(ctx, raw); err != nil {
		return nil, fmt.Errorf("writing the referrer of %s in %s: %w", sub.Digest, a.repo, err)
	}
	return st, nil
}

// write puts the artifact's manifest and learns whether the registry
// lists it under its subject by itself (the OCI-Subject header, or a
// referrers API found now that the repository exists); where it does not,
// it reads the fallback index Commit adds the artifact to.
func (st *Staged) write(ctx context.Context, raw []byte) error {
	a := st.a
	took, err := a.putManifest(ctx, st.desc.Digest.String(), raw, types.OCIManifestSchema1)
	if err != nil {
		return err
	}
	api := a.referrersAPI()
	if api == apiUnknown && !took {
		// The repository was new when probed; it holds the blobs now.
		api = a.probe(ctx, st.subject.Digest)
		a.setReferrersAPI(api)
	}
	st.listed = took || api == apiYes
	if !st.listed && st.index == nil {
		st.index, err = a.fallbackIndex(ctx, st.subject.Digest)
	}
	return err
}

// Digest is the digest of the staged artifact's manifest.
func (st *Staged) Digest() v1.Hash { return st.desc.Digest }

// Commit makes the artifact a listed referrer of its subject, once the
// subject is in the repository. Where the registry answers the referrers
// API, writing the manifest did that; where it does not, the artifact is
// added to the index under the subject's fallback tag (sha256-<hex>), as
// the distribution spec's referrers tag schema says. The image's tags are
// left alone.
func (st *Staged) Commit(ctx context.Context) (v1.Hash, error) {
	a, d := st.a, st.desc.Digest
	if st.listed {
		return d, nil
	}
	im := st.index
	if slices.ContainsFunc(im.Manifests, func(m v1.Descriptor) bool { return m.Digest == d }) {
		return d, nil
	}
	im.Manifests = append(im.Manifests, st.desc)
	slices.SortFunc(im.Manifests, func(x, y v1.Descriptor) int { return cmp.Compare(x.Digest.String(), y.Digest.String()) })
	raw, err := json.Marshal(im)
	if err == nil {
		_, err = a.putManifest(ctx, fallbackTag(st.subject.Digest), raw, types.OCIImageIndex)
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("writing the referrer of %s in %s: updating the fallback tag %s: %w", st.subject.Digest, a.repo, fallbackTag(st.subject.Digest), err)
	}
	return d, nil
}

// Abandon deletes the artifact's manifest, for a subject that was never
// pushed, so that no referrer is listed for an image that is not there.
// A registry that refuses deletes (docker-registry's default) keeps it as
// an untagged manifest, as it keeps the blobs of a push that failed.
func (st *Staged) Abandon(ctx context.Context) error {
	resp, err := st.a.do(ctx, http.MethodDelete, st.a.url("/manifests/"+st.desc.Digest.String()), nil, nil, http.StatusAccepted, http.StatusOK)
	if err != nil {
		return fmt.Errorf("deleting the referrer %s of %s in %s: %w", st.desc.Digest, st.subject.Digest, st.a.repo, err)
	}
	drain(resp)
	return nil
}
