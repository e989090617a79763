package builder

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/image"
	"github.com/chainguard-dev/kaniko/pkg/util"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/fetch"
)

// withCacheBuster is the front end's Dockerfile with its cache buster
// replaced by a value of this build's: the lines that keep a mounted
// stage's files then never match kaniko's layer cache, which would skip
// the step or bring an (empty) layer back into the image.
func withCacheBuster(res *dockerfile.Result) []byte {
	if res.CacheBuster == "" {
		return res.Dockerfile
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return bytes.ReplaceAll(res.Dockerfile, []byte(res.CacheBuster), []byte(hex.EncodeToString(b)))
}

// mountRegistry pulls mounted images as kaniko pulls base images, through
// its retrieval seam: its keychain (the docker config, then the ECR
// helper), its transport, its platform, and the registry mirrors and maps
// with their fallback. The seam also records the image for the provenance.
func mountRegistry(opts *config.KanikoOptions) fetch.Registry {
	return fetch.Registry{Pull: func(ref string) (v1.Image, error) {
		return image.RetrieveRemoteImage(ref, opts.RegistryOptions, opts.CustomPlatform)
	}}
}

// kanikoIgnoreList is the paths kaniko ignores at this point of the build
// (it rebuilds the list at every stage).
func kanikoIgnoreList() []string {
	var paths []string
	for _, e := range util.IgnoreList() {
		paths = append(paths, e.Path)
	}
	return paths
}
