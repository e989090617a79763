package builder

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/rawconfig"
)

// withVolumes adds to img's config the volumes the front end took from
// kaniko (dockerfile.Result.Volumes), beside those the base image
// declared, keeping every other field of the config as it is.
func withVolumes(img v1.Image, paths []string) (v1.Image, error) {
	if len(paths) == 0 {
		return img, nil
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	raw, err = setConfigField(raw, "Volumes", func(old json.RawMessage) (any, error) {
		var vols map[string]struct{}
		if err := json.Unmarshal(old, &vols); err != nil {
			return nil, fmt.Errorf("the image config's volumes: %w", err)
		}
		if vols == nil {
			vols = map[string]struct{}{}
		}
		for _, p := range paths {
			vols[p] = struct{}{}
		}
		return vols, nil
	})
	if err != nil {
		return nil, err
	}
	return rawconfig.Image(img, raw)
}
