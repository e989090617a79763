package referrer

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
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

// Staged is a referrer written into the repository and listed under its
// subject. The distribution spec (v1.1, "Push") has registries take a
// manifest whose subject is not there yet, so the artifact is written
// while the image's blobs upload and its tags are written: where the
// registry answers the referrers API, writing the manifest lists it;
// where it does not, Stage also adds it to the index under the subject's
// fallback tag. Abandon takes both back if the image never comes.
type Staged struct {
	a        *Repo
	subject  v1.Descriptor
	desc     v1.Descriptor  // of the manifest, as a fallback index lists it
	fallback *fallbackWrite // what Stage wrote under the fallback tag; nil: nothing
}

// fallbackWrite is a change Stage made to a subject's fallback tag, for
// Abandon to undo.
type fallbackWrite struct {
	prev  []byte  // the index the tag held before; nil: the tag was not there
	index v1.Hash // the index Stage wrote
}

// Stage uploads the referrer's payload (the one upload an artifact costs:
// the empty config is uploaded once per repository, and only where the
// repository lacks it), writes its manifest and, where the registry has no
// referrers API, adds it to the subject's fallback index, whose read goes
// beside the upload.
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
	var fb *fallback
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.ensureEmpty(gctx) })
	g.Go(func() error { return a.upload(gctx, r.Payload, bd) })
	if a.referrersAPI() == apiNo {
		g.Go(func() (err error) { fb, err = a.fallbackIndex(gctx, sub.Digest); return err })
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("uploading the referrer's blobs to %s: %w", a.repo, err)
	}
	if err := st.write(ctx, raw, fb); err != nil {
		return nil, fmt.Errorf("writing the referrer of %s in %s: %w", sub.Digest, a.repo, err)
	}
	return st, nil
}

// write puts the artifact's manifest and learns whether the registry
// lists it under its subject by itself (the OCI-Subject header, or a
// referrers API found now that the repository exists); where it does not,
// it adds the artifact to the fallback index fb (read now if Stage did
// not).
func (st *Staged) write(ctx context.Context, raw []byte, fb *fallback) error {
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
	if took || api == apiYes {
		return nil
	}
	if fb == nil {
		if fb, err = a.fallbackIndex(ctx, st.subject.Digest); err != nil {
			return err
		}
	}
	return st.list(ctx, fb)
}

// list adds the artifact to the subject's fallback index, as the
// distribution spec's referrers tag schema says, and keeps what the tag
// held for Abandon. The image's tags are left alone.
func (st *Staged) list(ctx context.Context, fb *fallback) error {
	a, d := st.a, st.desc.Digest
	im := fb.index
	if slices.ContainsFunc(im.Manifests, func(m v1.Descriptor) bool { return m.Digest == d }) {
		return nil
	}
	im.Manifests = append(im.Manifests, st.desc)
	slices.SortFunc(im.Manifests, func(x, y v1.Descriptor) int { return cmp.Compare(x.Digest.String(), y.Digest.String()) })
	raw, err := json.Marshal(im)
	if err != nil {
		return err
	}
	wrote, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	if _, err := a.putManifest(ctx, fallbackTag(st.subject.Digest), raw, types.OCIImageIndex); err != nil {
		return fmt.Errorf("updating the fallback tag %s: %w", fallbackTag(st.subject.Digest), err)
	}
	st.fallback = &fallbackWrite{prev: fb.raw, index: wrote}
	return nil
}

// Digest is the digest of the staged artifact's manifest.
func (st *Staged) Digest() v1.Hash { return st.desc.Digest }

// Abandon takes back what Stage wrote, for a subject that was never
// pushed, so that no referrer is listed for an image that is not there:
// the fallback tag goes back to the index it held (or goes, where it was
// not there), and the artifact's manifest is deleted. A registry that
// refuses deletes (docker-registry's default) keeps them.
func (st *Staged) Abandon(ctx context.Context) error {
	a := st.a
	var errs []error
	if fw := st.fallback; fw != nil {
		if err := a.restore(ctx, st.subject.Digest, fw); err != nil {
			errs = append(errs, fmt.Errorf("restoring the fallback tag %s of %s in %s: %w", fallbackTag(st.subject.Digest), st.subject.Digest, a.repo, err))
		}
	}
	if err := a.remove(ctx, st.desc.Digest.String()); err != nil {
		errs = append(errs, fmt.Errorf("deleting the referrer %s of %s in %s: %w", st.desc.Digest, st.subject.Digest, a.repo, err))
	}
	return errors.Join(errs...)
}
