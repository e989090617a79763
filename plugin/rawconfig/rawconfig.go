// Package rawconfig gives an image a config of exact bytes. go-containerregistry's
// mutate package rebuilds a config from its ConfigFile struct, which has no
// field for some of what Docker's image config holds (a HEALTHCHECK's
// StartInterval, for one): what it does not know is lost. Here the bytes
// are kept as given, and the manifest is made to name them.
package rawconfig

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Image is img with raw as its config; its layers and everything else
// are img's.
func Image(img v1.Image, raw []byte) (v1.Image, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("the image config is not JSON")
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	m = m.DeepCopy()
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m.Config.Digest, m.Config.Size = h, size
	rawManifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &image{Image: img, config: raw, manifest: m, rawManifest: rawManifest}, nil
}

type image struct {
	v1.Image
	config, rawManifest []byte
	manifest            *v1.Manifest
}

func (i *image) RawConfigFile() ([]byte, error) { return i.config, nil }

func (i *image) ConfigFile() (*v1.ConfigFile, error) {
	return v1.ParseConfigFile(bytes.NewReader(i.config))
}

func (i *image) ConfigName() (v1.Hash, error)    { return i.manifest.Config.Digest, nil }
func (i *image) Manifest() (*v1.Manifest, error) { return i.manifest.DeepCopy(), nil }
func (i *image) RawManifest() ([]byte, error)    { return i.rawManifest, nil }
func (i *image) Size() (int64, error)            { return int64(len(i.rawManifest)), nil }
func (i *image) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(i.rawManifest))
	return h, err
}
