package index

import (
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Source is one item of PLUGIN_INDEX_SOURCES as read from the registry:
// an image, or an index whose entries it contributes.
type Source struct {
	Ref   string // as resolved by the settings
	Image v1.Image
	Index v1.ImageIndex
}

// Entry is one manifest of the assembled index.
type Entry struct {
	Platform  v1.Platform
	Source    string // the source it came from
	Digest    v1.Hash
	MediaType types.MediaType
}

// maxDepth bounds how deep indexes nested in a source are followed.
const maxDepth = 4

// unknown is the platform BuildKit gives its attestation manifests: they
// ride along with the image they describe and are no platform of their own.
const unknown = "unknown/unknown"

// Assemble lists every image of the sources under its platform, in the
// order given, and returns the index over them: a Docker manifest list when
// every image is a Docker schema 2 manifest, an OCI index otherwise, so a
// client never sees the two kinds mixed. Two images for one platform are an
// error naming both sources.
func Assemble(sources []Source) (v1.ImageIndex, []Entry, error) {
	if len(sources) == 0 {
		return nil, nil, errors.New("no sources to join")
	}
	var (
		adds    []mutate.IndexAddendum
		entries []Entry
	)
	for _, s := range sources {
		var err error
		switch {
		case s.Index != nil:
			adds, entries, err = appendIndex(adds, entries, s.Ref, s.Index, 1)
		case s.Image != nil:
			adds, entries, err = appendImage(adds, entries, s.Ref, s.Image, nil, nil)
		default:
			err = fmt.Errorf("source %s: nothing was read", s.Ref)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if err := duplicates(entries); err != nil {
		return nil, nil, err
	}
	mt := types.DockerManifestList
	for _, e := range entries {
		if e.MediaType != types.DockerManifestSchema2 {
			mt = types.OCIImageIndex
		}
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt), entries, nil
}

// appendImage adds one image under its platform (see platformOf).
func appendImage(adds []mutate.IndexAddendum, entries []Entry, ref string, img v1.Image, given *v1.Platform, annotations map[string]string) ([]mutate.IndexAddendum, []Entry, error) {
	plat, err := platformOf(img, given)
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", ref, err)
	}
	dig, err := img.Digest()
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", ref, err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: %w", ref, err)
	}
	adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &plat, Annotations: annotations}})
	return adds, append(entries, Entry{Platform: plat, Source: ref, Digest: dig, MediaType: mt}), nil
}

// appendIndex adds the entries of an index, following nested indexes.
func appendIndex(adds []mutate.IndexAddendum, entries []Entry, ref string, idx v1.ImageIndex, depth int) ([]mutate.IndexAddendum, []Entry, error) {
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("source %s: indexes nested deeper than %d", ref, maxDepth)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, fmt.Errorf("source %s: reading its index: %w", ref, err)
	}
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, nil, fmt.Errorf("source %s: reading index %s: %w", ref, d.Digest, err)
			}
			if adds, entries, err = appendIndex(adds, entries, ref, child, depth+1); err != nil {
				return nil, nil, err
			}
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, nil, fmt.Errorf("source %s: reading image %s: %w", ref, d.Digest, err)
			}
			if adds, entries, err = appendImage(adds, entries, ref, img, d.Platform, d.Annotations); err != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, fmt.Errorf("source %s: entry %s is a %s, neither an image nor an index", ref, d.Digest, d.MediaType)
		}
	}
	return adds, entries, nil
}

// platformOf is the platform an index entry names, or else the one the
// image's config names: os, architecture, variant (and, for Windows, os
// version and features).
func platformOf(img v1.Image, given *v1.Platform) (v1.Platform, error) {
	if given != nil && given.OS != "" && given.Architecture != "" {
		return *given, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Platform{}, fmt.Errorf("reading its config: %w", err)
	}
	p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion, OSFeatures: cf.OSFeatures}
	if p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("its config names no platform (os %q, architecture %q)", p.OS, p.Architecture)
	}
	return p, nil
}

// duplicates reports every platform that two entries claim.
func duplicates(entries []Entry) error {
	first := map[string]Entry{}
	var errs []error
	for _, e := range entries {
		k := platformKey(e.Platform)
		if k == unknown {
			continue
		}
		if f, ok := first[k]; ok {
			errs = append(errs, fmt.Errorf("two images for platform %s: %s (%s) and %s (%s); nothing was pushed", e.Platform.String(), f.Source, f.Digest, e.Source, e.Digest))
			continue
		}
		first[k] = e
	}
	return errors.Join(errs...)
}

// platformKey names a platform as clients match it: arm64 is arm64/v8,
// arm is arm/v7, amd64/v1 is amd64.
func platformKey(p v1.Platform) string {
	v := p.Variant
	switch {
	case p.Architecture == "arm64" && v == "":
		v = "v8"
	case p.Architecture == "arm" && v == "":
		v = "v7"
	case p.Architecture == "amd64" && v == "v1":
		v = ""
	}
	k := p.OS + "/" + p.Architecture
	if v != "" {
		k += "/" + v
	}
	if p.OSVersion != "" {
		k += ":" + p.OSVersion
	}
	return strings.ToLower(k)
}
