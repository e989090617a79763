package builder

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/creds"
	kdockerfile "github.com/chainguard-dev/kaniko/pkg/dockerfile"
	"github.com/chainguard-dev/kaniko/pkg/util"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/fetch"
)

// withCacheBuster is the front end's Dockerfile with its cache buster
// replaced by a value of this build's: the COPY lines that make kaniko
// keep a mounted stage's files then never match kaniko's layer cache,
// whose (empty) layer would otherwise come back into the image.
func withCacheBuster(res *dockerfile.Result) []byte {
	if res.CacheBuster == "" {
		return res.Dockerfile
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return bytes.ReplaceAll(res.Dockerfile, []byte(res.CacheBuster), []byte(hex.EncodeToString(b)))
}

// keptStageDirs maps each stage a step mounts files from (by its index
// among all FROMs) to where kaniko keeps its files: <kaniko dir>/<n>, n
// being the stage's index among the stages kaniko builds, which differs
// when kaniko skips unused stages. kaniko's own stage list says which.
func keptStageDirs(steps []dockerfile.Step, opts *config.KanikoOptions) (map[int]string, error) {
	wanted := map[int]bool{}
	for _, st := range steps {
		for _, m := range st.Mounts {
			if m.FromStage != nil {
				wanted[*m.FromStage] = true
			}
		}
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	stages, metaArgs, err := kdockerfile.ParseStages(opts)
	if err != nil {
		return nil, fmt.Errorf("reading the stages: %w", err)
	}
	index := map[int]int{} // first line of a FROM → its index among all
	for i, s := range stages {
		if len(s.Location) > 0 {
			index[s.Location[0].Start.Line] = i
		}
	}
	built, err := kdockerfile.MakeKanikoStages(opts, stages, metaArgs)
	if err != nil {
		return nil, fmt.Errorf("listing the stages kaniko builds: %w", err)
	}
	dirs := map[int]string{}
	for n, ks := range built {
		if len(ks.Location) == 0 {
			continue
		}
		if i, ok := index[ks.Location[0].Start.Line]; ok && wanted[i] {
			dirs[i] = filepath.Join(config.KanikoDir, strconv.Itoa(n))
		}
	}
	return dirs, nil
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
