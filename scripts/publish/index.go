// Package publish turns per-platform images that are already in a registry
// into one multi-platform index (a Docker manifest list or an OCI index)
// and pushes it: the last step of publishing the plugin's own image.
package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Index lists each image under the platform its config names. All Docker
// schema 2 images give a Docker manifest list, anything else an OCI index,
// so that a client never sees the two kinds mixed.
func Index(images []v1.Image) (v1.ImageIndex, error) {
	if len(images) == 0 {
		return nil, errors.New("no images to index")
	}
	adds := make([]mutate.IndexAddendum, 0, len(images))
	seen := map[string]bool{}
	allDocker := true
	for i, img := range images {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading config of image %d: %w", i+1, err)
		}
		p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}
		if p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("image %d names no platform (os %q, architecture %q)", i+1, p.OS, p.Architecture)
		}
		if seen[p.String()] {
			return nil, fmt.Errorf("two images for platform %s", p.String())
		}
		seen[p.String()] = true
		mt, err := img.MediaType()
		if err != nil {
			return nil, fmt.Errorf("reading media type of image %d: %w", i+1, err)
		}
		allDocker = allDocker && mt == types.DockerManifestSchema2
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	mt := types.OCIImageIndex
	if allDocker {
		mt = types.DockerManifestList
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt), nil
}

// Spec says which images to gather and where the index goes.
type Spec struct {
	Repo    name.Repository
	Sources []string // tags in Repo, one image per platform
	Tags    []string // tags to push the index under
}

// Push reads the source images, pushes their index under every tag, reads
// each tag back and returns the index digest.
func Push(ctx context.Context, s Spec, opts ...remote.Option) (v1.Hash, error) {
	if len(s.Tags) == 0 {
		return v1.Hash{}, errors.New("no tags to push the index under")
	}
	opts = append(opts, remote.WithContext(ctx))
	images := make([]v1.Image, 0, len(s.Sources))
	for _, src := range s.Sources {
		ref := s.Repo.Tag(src)
		img, err := remote.Image(ref, opts...)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("reading %s: %w", ref, err)
		}
		images = append(images, img)
	}
	idx, err := Index(images)
	if err != nil {
		return v1.Hash{}, err
	}
	dig, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("computing index digest: %w", err)
	}
	var errs []error
	for _, t := range s.Tags {
		ref := s.Repo.Tag(t)
		if err := remote.WriteIndex(ref, idx, opts...); err != nil {
			errs = append(errs, fmt.Errorf("pushing index to %s: %w", ref, err))
			continue
		}
		d, err := remote.Head(ref, opts...)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("reading back %s: %w", ref, err))
		case d.Digest != dig:
			errs = append(errs, fmt.Errorf("%s holds %s after the push, want %s", ref, d.Digest, dig))
		}
	}
	return dig, errors.Join(errs...)
}

// SplitList splits a comma-separated flag value, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
