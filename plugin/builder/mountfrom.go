package builder

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/creds"
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

// mountRegistry pulls mounted images as kaniko pulls base images: with its
// keychain (the docker config, then the ECR helper), its transport for the
// registry and its platform.
func mountRegistry(opts *config.KanikoOptions) fetch.Registry {
	r := fetch.Registry{
		Keychain: creds.GetKeychain(),
		Transport: func(registry string) (http.RoundTripper, error) {
			return util.MakeTransport(opts.RegistryOptions, registry)
		},
	}
	if p, err := v1.ParsePlatform(opts.CustomPlatform); err == nil && opts.CustomPlatform != "" {
		r.Platform = p
	}
	return r
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
