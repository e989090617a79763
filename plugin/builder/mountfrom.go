package builder

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/creds"
	kdockerfile "github.com/chainguard-dev/kaniko/pkg/dockerfile"
	"github.com/chainguard-dev/kaniko/pkg/util"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

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

// keepMountedStagesBuilt turns kaniko's skipping of unused stages off for
// this build when it would skip a stage that a built stage mounts files
// from: kaniko counts only FROM and COPY --from as uses of a stage. Its own
// stage list says which stages it builds.
func keepMountedStagesBuilt(steps []dockerfile.Step, opts *config.KanikoOptions) error {
	type use struct{ from, by int }
	var uses []use
	for _, st := range steps {
		for _, m := range st.Mounts {
			if m.FromStage != nil {
				uses = append(uses, use{*m.FromStage, st.Stage})
			}
		}
	}
	if !opts.SkipUnusedStages || len(uses) == 0 {
		return nil
	}
	stages, metaArgs, err := kdockerfile.ParseStages(opts)
	if err != nil {
		return fmt.Errorf("reading the stages: %w", err)
	}
	lines := make([]int, len(stages)) // the first line of each FROM
	for i, s := range stages {
		if len(s.Location) > 0 {
			lines[i] = s.Location[0].Start.Line
		}
	}
	built, err := kdockerfile.MakeKanikoStages(opts, stages, metaArgs)
	if err != nil {
		return fmt.Errorf("listing the stages kaniko builds: %w", err)
	}
	builds := map[int]bool{}
	for _, ks := range built {
		if len(ks.Location) > 0 {
			builds[ks.Location[0].Start.Line] = true
		}
	}
	for _, u := range uses {
		if u.from < len(lines) && u.by < len(lines) && builds[lines[u.by]] && !builds[lines[u.from]] {
			logrus.Infof("stage %d is only mounted from, which kaniko does not count as a use: every stage up to the target is built", u.from)
			opts.SkipUnusedStages = false
			return nil
		}
	}
	return nil
}
