package index

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// platformImage is a random image whose config names the platform.
func platformImage(t *testing.T, os, arch, variant string, mt types.MediaType) v1.Image {
	t.Helper()
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(img, mt)
}

// indexOf is an index over imgs, each listed under the given platform (nil:
// none), as buildx pushes one.
func indexOf(t *testing.T, mt types.MediaType, imgs []v1.Image, plats []*v1.Platform) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for i, img := range imgs {
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plats[i]}})
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), mt)
}

func digestOf(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// entriesOf is the index's manifests as platform → digest.
func entriesOf(t *testing.T, idx v1.ImageIndex) map[string]v1.Hash {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]v1.Hash{}
	for _, m := range im.Manifests {
		out[m.Platform.String()] = m.Digest
	}
	return out
}

func TestAssembleTakesEachPlatformFromTheConfigAndPicksTheMediaType(t *testing.T) {
	dockerAMD := platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2)
	dockerARM := platformImage(t, "linux", "arm64", "v8", types.DockerManifestSchema2)
	ociARM := platformImage(t, "linux", "arm64", "v8", types.OCIManifestSchema1)
	for _, tc := range []struct {
		name    string
		sources []Source
		wantMT  types.MediaType
	}{
		{"every source a Docker v2 manifest: a Docker manifest list", []Source{{Ref: "r:amd64", Image: dockerAMD}, {Ref: "r:arm64", Image: dockerARM}}, types.DockerManifestList},
		{"one OCI manifest among them: an OCI index", []Source{{Ref: "r:amd64", Image: dockerAMD}, {Ref: "r:arm64", Image: ociARM}}, types.OCIImageIndex},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx, entries, err := Assemble(tc.sources)
			if err != nil {
				t.Fatal(err)
			}
			if mt, _ := idx.MediaType(); mt != tc.wantMT {
				t.Errorf("media type %s, want %s", mt, tc.wantMT)
			}
			want := map[string]v1.Hash{"linux/amd64": digestOf(t, tc.sources[0].Image), "linux/arm64/v8": digestOf(t, tc.sources[1].Image)}
			if diff := cmp.Diff(want, entriesOf(t, idx)); diff != "" {
				t.Errorf("index entries (-want +got):\n%s", diff)
			}
			if len(entries) != 2 || entries[0].Source != "r:amd64" || entries[1].Source != "r:arm64" || entries[1].Platform.Variant != "v8" {
				t.Errorf("entries %+v: want both sources in order, the variant kept", entries)
			}
			again, _, err := Assemble(tc.sources)
			if err != nil || digestOf(t, again) != digestOf(t, idx) {
				t.Errorf("the same sources gave another index digest: an immutable tag could never be written again")
			}
		})
	}
}

func TestAssembleTakesTheEntriesOfANestedIndex(t *testing.T) {
	amd := platformImage(t, "linux", "amd64", "", types.OCIManifestSchema1)
	arm := platformImage(t, "linux", "arm64", "v8", types.OCIManifestSchema1)
	armv7 := platformImage(t, "linux", "arm", "v7", types.OCIManifestSchema1)
	// An attestation as buildx writes it: platform unknown/unknown in the
	// index; one per source must not count as a duplicate.
	att1 := platformImage(t, "", "", "", types.OCIManifestSchema1)
	att2 := platformImage(t, "", "", "", types.OCIManifestSchema1)
	unknown := &v1.Platform{OS: "unknown", Architecture: "unknown"}
	inner := indexOf(t, types.OCIImageIndex, []v1.Image{armv7}, []*v1.Platform{nil})
	// The outer index names no platforms: they come from the configs.
	outer := indexOf(t, types.OCIImageIndex, []v1.Image{arm, att1}, []*v1.Platform{nil, unknown})
	outer = mutate.AppendManifests(outer, mutate.IndexAddendum{Add: inner})
	single := indexOf(t, types.OCIImageIndex, []v1.Image{amd, att2}, []*v1.Platform{{OS: "linux", Architecture: "amd64"}, unknown})

	idx, entries, err := Assemble([]Source{{Ref: "r:amd64", Index: single}, {Ref: "r:arm", Index: outer}})
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range im.Manifests {
		got = append(got, m.Platform.String()+" "+m.Digest.String())
	}
	want := []string{
		"linux/amd64 " + digestOf(t, amd).String(), "unknown/unknown " + digestOf(t, att2).String(),
		"linux/arm64/v8 " + digestOf(t, arm).String(), "unknown/unknown " + digestOf(t, att1).String(),
		"linux/arm/v7 " + digestOf(t, armv7).String(),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("index manifests (-want +got):\n%s", diff)
	}
	if entries[4].Source != "r:arm" {
		t.Errorf("nested entry from %q, want r:arm", entries[4].Source)
	}
}

func TestAssembleRefusesTwoImagesForOnePlatformNamingBoth(t *testing.T) {
	amd := platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2)
	for _, tc := range []struct {
		name    string
		sources []Source
		want    string
	}{
		{
			name:    "two images",
			sources: []Source{{Ref: "r:a", Image: amd}, {Ref: "r:b", Image: platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2)}},
			want:    "two images for platform linux/amd64: r:a (" + digestOf(t, amd).String() + ") and r:b (",
		},
		{
			name:    "arm64 and arm64/v8 are one platform to a client",
			sources: []Source{{Ref: "r:a", Image: platformImage(t, "linux", "arm64", "", types.DockerManifestSchema2)}, {Ref: "r:b", Image: platformImage(t, "linux", "arm64", "v8", types.DockerManifestSchema2)}},
			want:    "two images for platform linux/arm64/v8: r:a (",
		},
		{
			name:    "an index that already holds the platform",
			sources: []Source{{Ref: "r:multi", Index: indexOf(t, types.OCIImageIndex, []v1.Image{amd}, []*v1.Platform{nil})}, {Ref: "r:a", Image: amd}},
			want:    "two images for platform linux/amd64: r:multi (",
		},
		{
			name:    "a config without a platform",
			sources: []Source{{Ref: "r:none", Image: platformImage(t, "", "", "", types.DockerManifestSchema2)}},
			want:    `source r:none: its config names no platform (os "", architecture "")`,
		},
		{
			name: "no sources",
			want: "no sources to join",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx, _, err := Assemble(tc.sources)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Assemble() = %v, %v; want an error containing %q", idx, err, tc.want)
			}
		})
	}
}
