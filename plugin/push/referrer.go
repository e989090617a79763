package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
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

// Attach writes r into repo as an OCI 1.1 artifact manifest (config: the
// empty descriptor; one layer: the payload) whose subject is subject, and
// returns its digest. Where the registry answers the referrers API, that is
// all; where it does not, go-containerregistry adds the artifact to the
// index under the subject's fallback tag (sha256-<hex>), as the
// distribution spec's referrers tag schema says. The image's tags are left
// alone.
func (s *Session) Attach(ctx context.Context, repo name.Repository, subject v1.Descriptor, r Referrer) (v1.Hash, error) {
	cfg := static.NewLayer(emptyJSON, emptyMediaType)
	blob := static.NewLayer(r.Payload, r.MediaType)
	for _, l := range []v1.Layer{cfg, blob} {
		if err := s.pusher.Upload(ctx, repo, l); err != nil {
			return v1.Hash{}, fmt.Errorf("uploading the referrer's blobs to %s: %w", repo, err)
		}
	}
	cd, err := cfg.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	bd, err := blob.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	sub := v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  r.ArtifactType,
		Config:        v1.Descriptor{MediaType: emptyMediaType, Size: int64(len(emptyJSON)), Digest: cd, Data: emptyJSON},
		Layers:        []v1.Descriptor{{MediaType: r.MediaType, Size: int64(len(r.Payload)), Digest: bd, Annotations: r.Annotations}},
		Subject:       &sub,
		Annotations:   r.Annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return v1.Hash{}, err
	}
	d, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return v1.Hash{}, err
	}
	if err := s.pusher.Put(ctx, repo.Digest(d.String()), rawManifest{raw: raw, mt: types.OCIManifestSchema1}); err != nil {
		return v1.Hash{}, fmt.Errorf("writing the referrer of %s in %s: %w", subject.Digest, repo, err)
	}
	return d, nil
}

// rawManifest is a manifest as bytes, for Pusher.Put.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }

// Describe returns the descriptor of ref as the registry serves it.
func (s *Session) Describe(ctx context.Context, ref name.Reference) (*v1.Descriptor, error) {
	return s.puller.Head(ctx, ref)
}
