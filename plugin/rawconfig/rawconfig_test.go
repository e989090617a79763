package rawconfig

import (
	"bytes"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

func TestTheImageCarriesTheConfigBytesAsGivenAndItsManifestNamesThem(t *testing.T) {
	base, err := random.Image(64, 2)
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Healthcheck":{"Test":["CMD","true"],"StartInterval":2000000000}}}`)
	cf, _ := base.ConfigFile()
	ids := `"diff_ids":[`
	for i, d := range cf.RootFS.DiffIDs {
		if i > 0 {
			ids += ","
		}
		ids += `"` + d.String() + `"`
	}
	raw = bytes.Replace(raw, []byte(`"diff_ids":[`), []byte(ids), 1)
	img, err := Image(base, raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := img.RawConfigFile(); !bytes.Equal(got, raw) {
		t.Errorf("config %s, want the bytes given", got)
	}
	if err := validate.Image(img); err != nil {
		t.Errorf("the image is not consistent: %v", err)
	}
	d1, _ := img.Digest()
	d0, _ := base.Digest()
	if d1 == d0 {
		t.Error("the digest did not change with the config")
	}
	if _, err := Image(base, []byte("{not json")); err == nil {
		t.Error("a config that is not JSON was taken")
	}
}
