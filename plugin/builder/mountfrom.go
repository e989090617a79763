package builder

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/image"
	"github.com/chainguard-dev/kaniko/pkg/util"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/fetch"
)

// withCacheBuster is the front end's Dockerfile with its cache buster
// replaced by a value of this build's (returned too): the lines that keep
// a mounted stage's files, or copy from one, then never match kaniko's
// layer cache, which would skip the step or bring a stale layer back.
func withCacheBuster(res *dockerfile.Result) ([]byte, string) {
	if res.CacheBuster == "" {
		return res.Dockerfile, ""
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	v := hex.EncodeToString(b)
	return bytes.ReplaceAll(res.Dockerfile, []byte(res.CacheBuster), []byte(v)), v
}

// bustedHistory is the front end's history with the cache buster replaced
// by value, as in the lines kaniko built.
func bustedHistory(res *dockerfile.Result, value string) map[string]string {
	if res.CacheBuster == "" {
		return res.History
	}
	out := make(map[string]string, len(res.History))
	for k, v := range res.History {
		out[strings.ReplaceAll(k, res.CacheBuster, value)] = v
	}
	return out
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
