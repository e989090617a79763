package builder

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/executor"
	"github.com/chainguard-dev/kaniko/pkg/util"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/builder/copykey"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// Kaniko builds with kaniko's executor in this process. kaniko keeps global
// state and rewrites "/", so one build runs per process, inside a container.
type Kaniko struct{}

// Build runs kaniko's DoBuild for the plan. DoBuild takes no context: when
// ctx ends first, Build returns at once and the process is expected to exit.
// onLayer, when set, is told the path of each layer tar as soon as kaniko
// has written it.
func (Kaniko) Build(ctx context.Context, p *settings.Plan, onLayer func(path string)) (v1.Image, error) {
	opts, err := Options(SpecOf(p))
	if err != nil {
		return nil, err
	}
	res, gits, err := resolveGitSources(ctx, p)
	if err != nil {
		return nil, err
	}
	var rewritten []byte
	var buster string
	if res != nil {
		rewritten, buster = withCacheBuster(res)
	}
	if err := prepare(opts, rewritten); err != nil {
		return nil, err
	}
	keys := keyCopyLines(opts)
	fe, err := startFrontend(p, opts, gits)
	if err != nil {
		return nil, err
	}
	if onLayer != nil {
		if stop, err := watchSnapshots(opts.KanikoDir, onLayer); err != nil {
			logrus.Debugf("watching %s for layer tars: %v", opts.KanikoDir, err)
		} else {
			defer stop()
		}
	}
	watchBasePulls()
	started := time.Now()
	img, err := runCancellable(ctx, func() (v1.Image, error) { return executor.DoBuild(opts) })
	if err == nil {
		recordCopyFromImages(opts, started.Add(-time.Second))
	}
	if why := fe.failure(); err != nil && why != nil {
		err = fmt.Errorf("%w (%v)", why, err)
	}
	if serr := fe.stop(err == nil); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return nil, fmt.Errorf("building image: %w", err)
	}
	if img, err = unkeyHistory(img, keys.Restore); err != nil {
		return nil, fmt.Errorf("restoring the image history: %w", err)
	}
	if res != nil {
		if img, err = restoreHistory(img, bustedHistory(res, buster)); err != nil {
			return nil, fmt.Errorf("restoring the image history: %w", err)
		}
		if img, err = withStartInterval(img, res.Health, pulledBases()); err != nil {
			return nil, fmt.Errorf("setting the healthcheck's start interval: %w", err)
		}
		if img, err = withVolumes(img, res.Volumes); err != nil {
			return nil, fmt.Errorf("declaring the volumes: %w", err)
		}
	}
	return img, nil
}

// keyCopyLines gives the COPY lines of the Dockerfile kaniko reads what
// kaniko's cache key lacks (copykey.Key), when COPY layers are cached; if
// that fails, COPY layers are not cached in this build: a miss is better
// than a stale layer. Otherwise it gives kaniko the ADD lines it would
// fail on as COPY (copykey.Adds).
func keyCopyLines(opts *config.KanikoOptions) copykey.Keys {
	if !opts.Cache || !opts.CacheCopyLayers {
		return copyAdds(opts)
	}
	df, err := os.ReadFile(opts.DockerfilePath)
	if err == nil {
		var keys copykey.Keys
		if keys, err = copykey.Key(df, opts); err == nil {
			if err = writeFile(opts.DockerfilePath, keys.Dockerfile); err == nil {
				return keys
			}
		}
	}
	logrus.Warnf("COPY layers are not taken from the cache in this build: %v", err)
	opts.CacheCopyLayers = false
	return copykey.Keys{}
}

// copyAdds gives kaniko as COPY each ADD of a compressed file that holds
// no tar (copykey.Adds); if that fails, the Dockerfile stays as it is.
func copyAdds(opts *config.KanikoOptions) copykey.Keys {
	df, err := os.ReadFile(opts.DockerfilePath)
	if err != nil {
		return copykey.Keys{}
	}
	keys, err := copykey.Adds(df, opts)
	if err == nil && len(keys.Restore) > 0 {
		if err = writeFile(opts.DockerfilePath, keys.Dockerfile); err == nil {
			return keys
		}
	}
	if err != nil {
		logrus.Debugf("reading the ADD lines: %v", err)
	}
	return copykey.Keys{}
}

// unkeyHistory takes what copykey.Key added out of the history, so
// created_by shows each line as kaniko was given it.
func unkeyHistory(img v1.Image, restore map[string]string) (v1.Image, error) {
	if len(restore) == 0 {
		return img, nil
	}
	original := map[string]string{}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	for _, h := range cf.History {
		for added, was := range restore {
			if strings.Contains(h.CreatedBy, added) {
				original[h.CreatedBy] = strings.Replace(h.CreatedBy, added, was, 1)
			}
		}
	}
	return restoreHistory(img, original)
}

// Transport returns the transport a push to registry uses, the one
// kaniko's own push would (registry certificates, skip-TLS settings). The
// credentials do not come from kaniko's keychain: the run hands the push the
// token it keeps in memory.
func (Kaniko) Transport(p *settings.Plan, registry string) (http.RoundTripper, error) {
	opts, err := Options(SpecOf(p))
	if err != nil {
		return nil, err
	}
	tr, err := util.MakeTransport(opts.RegistryOptions, registry)
	if err != nil {
		return nil, fmt.Errorf("making transport for %s: %w", registry, err)
	}
	return tr, nil
}

// prepare does what kaniko's CLI does before DoBuild and a library caller
// must repeat: keep /var/run out of snapshots, copy the Dockerfile (and its
// .dockerignore) into /kaniko so a .dockerignore'd Dockerfile still builds,
// and work from "/" so RUN steps without WORKDIR write into the image, not
// into the mounted workspace. rewritten, when set, is what the front end
// made of the Dockerfile: kaniko builds that instead.
func prepare(opts *config.KanikoOptions, rewritten []byte) error {
	if opts.IgnoreVarRun {
		util.AddToDefaultIgnoreList(util.IgnoreListEntry{Path: "/var/run"})
	}
	for _, p := range opts.IgnorePaths {
		util.AddToDefaultIgnoreList(util.IgnoreListEntry{Path: p})
	}
	dst := filepath.Join(opts.KanikoDir, "Dockerfile")
	if rewritten == nil {
		var err error
		if rewritten, err = os.ReadFile(opts.DockerfilePath); err != nil {
			return fmt.Errorf("reading the Dockerfile: %w", err)
		}
	}
	if err := writeFile(dst, rewritten); err != nil {
		return fmt.Errorf("copying Dockerfile into %s: %w", opts.KanikoDir, err)
	}
	ignore := opts.DockerfilePath + ".dockerignore"
	if _, err := os.Stat(ignore); err == nil {
		if err := copyFile(ignore, dst+".dockerignore"); err != nil {
			return fmt.Errorf("copying Dockerfile.dockerignore into %s: %w", opts.KanikoDir, err)
		}
	}
	opts.DockerfilePath = dst
	return os.Chdir("/")
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeFile(dst, b)
}

func writeFile(dst string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, fs.FileMode(0o600))
}

// runCancellable runs f and returns its result, or ctx's error as soon as
// ctx ends; f goes on in the background until the process exits.
func runCancellable(ctx context.Context, f func() (v1.Image, error)) (v1.Image, error) {
	type result struct {
		img v1.Image
		err error
	}
	ch := make(chan result, 1)
	go func() {
		img, err := f()
		ch <- result{img, err}
	}()
	select {
	case r := <-ch:
		return r.img, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
