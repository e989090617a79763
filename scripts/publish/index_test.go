package publish

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func platformImage(t *testing.T, os, arch, variant string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = os, arch, variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/kaniko-ecr")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]v1.Hash{}
	for _, p := range []struct{ arch, variant string }{{"amd64", ""}, {"arm64", "v8"}} {
		img := platformImage(t, "linux", p.arch, p.variant)
		if err := remote.Write(repo.Tag("v1-"+p.arch), img); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		want[(&v1.Platform{OS: "linux", Architecture: p.arch, Variant: p.variant}).String()] = d
	}

	dig, err := Push(context.Background(), Spec{Repo: repo, Sources: []string{"v1-amd64", "v1-arm64"}, Tags: []string{"v1", "latest"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"v1", "latest"} {
		idx, err := remote.Index(repo.Tag(tag))
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := idx.Digest(); d != dig {
			t.Errorf("%s: digest %s, Push returned %s", tag, d, dig)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if im.MediaType != types.DockerManifestList {
			t.Errorf("%s: media type %s, want %s", tag, im.MediaType, types.DockerManifestList)
		}
		got := map[string]v1.Hash{}
		for _, m := range im.Manifests {
			got[m.Platform.String()] = m.Digest
			img, err := idx.Image(m.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Architecture != m.Platform.Architecture {
				t.Errorf("%s: entry for %s has a config for %s", tag, m.Platform, cf.Architecture)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: platforms (-want +got):\n%s", tag, diff)
		}
	}
}

func TestIndexErrors(t *testing.T) {
	amd := platformImage(t, "linux", "amd64", "")
	tests := []struct {
		name    string
		images  []v1.Image
		wantErr string
	}{
		{"none", nil, "no images"},
		{"no platform", []v1.Image{platformImage(t, "", "", "")}, "names no platform"},
		{"same platform twice", []v1.Image{amd, platformImage(t, "linux", "amd64", "")}, "two images for platform linux/amd64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Index(tc.images)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Index() error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestIndexOCI(t *testing.T) {
	oci := mutate.MediaType(platformImage(t, "linux", "arm64", ""), types.OCIManifestSchema1)
	idx, err := Index([]v1.Image{platformImage(t, "linux", "amd64", ""), oci})
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := idx.MediaType(); mt != types.OCIImageIndex {
		t.Errorf("media type %s with an OCI image in it, want %s", mt, types.OCIImageIndex)
	}
}

func TestRegionOf(t *testing.T) {
	for host, want := range map[string]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com":     "eu-west-1",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn": "cn-north-1",
		"127.0.0.1:5000":  "",
		"public.ecr.aws":  "",
		"dkr.ecr.example": "",
	} {
		if got := RegionOf(host); got != want {
			t.Errorf("RegionOf(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestSplitList(t *testing.T) {
	if diff := cmp.Diff([]string{"a", "b"}, SplitList(" a,,b ,")); diff != "" {
		t.Error(diff)
	}
}
