package localecr

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestOCIBaseHasOCIMediaTypesAndTheSameContent(t *testing.T) {
	img, err := BusyboxImage()
	if err != nil {
		t.Skip(err) // needs Debian's busybox-static
	}
	oci, err := ociLayers(mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON))
	if err != nil {
		t.Fatal(err)
	}
	m, err := oci.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON || m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("manifest %s, config %s, layer %s: want OCI throughout", m.MediaType, m.Config.MediaType, m.Layers[0].MediaType)
	}
	want, _ := img.ConfigFile()
	got, _ := oci.ConfigFile()
	if got.RootFS.DiffIDs[0] != want.RootFS.DiffIDs[0] || got.Config.Cmd[0] != want.Config.Cmd[0] {
		t.Error("the OCI base differs from the Docker one in content or config")
	}
}
