package builder

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/executor"
	"github.com/chainguard-dev/kaniko/pkg/util"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin"
)

// Kaniko builds with kaniko's executor in this process. kaniko keeps global
// state and rewrites "/", so one build runs per process, inside a container.
type Kaniko struct{}

var _ plugin.Builder = Kaniko{}

// Build runs DoBuild, then pushes the image to every destination and reads
// each tag back. kaniko's DoBuild takes no context: when ctx ends first,
// Build returns at once and the process is expected to exit.
func (Kaniko) Build(ctx context.Context, spec plugin.BuildSpec) (plugin.BuildResult, error) {
	var res plugin.BuildResult
	phase := func(n string) {
		if spec.OnPhase != nil {
			spec.OnPhase(n)
		}
	}
	opts, err := Options(spec)
	if err != nil {
		return res, err
	}
	if err := prepare(opts); err != nil {
		return res, err
	}

	var sess *session
	if !spec.NoPush && len(spec.Destinations) > 0 {
		tags, err := parseTags(spec.Destinations)
		if err != nil {
			return res, err
		}
		// The connection and the registry's auth handshake do not depend
		// on the build: get them ready meanwhile.
		if sess, err = newSession(ctx, opts, tags[0].Context().Registry); err != nil {
			return res, err
		}
		go sess.warm(ctx, tags[0])
	}

	phase("build")
	start := time.Now()
	img, err := runCancellable(ctx, func() (v1.Image, error) { return executor.DoBuild(opts) })
	if err != nil {
		return res, fmt.Errorf("building image: %w", err)
	}
	res.Phases = append(res.Phases, plugin.PhaseTime{Name: "build", Took: time.Since(start)})

	return publish(ctx, img, spec, opts, sess, res, phase)
}

// PushTarball pushes the image in a docker tarball (as written by
// PLUGIN_TAR_PATH, kaniko --tar-path or docker save) to every destination.
func (Kaniko) PushTarball(ctx context.Context, spec plugin.BuildSpec, path string) (plugin.BuildResult, error) {
	var res plugin.BuildResult
	opts, err := Options(spec)
	if err != nil {
		return res, err
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return res, fmt.Errorf("loading %s as an image tarball: %w", path, err)
	}
	spec.TarPath = "" // the tarball is the source, not an output
	return publish(ctx, img, spec, opts, nil, res, func(n string) {
		if spec.OnPhase != nil {
			spec.OnPhase(n)
		}
	})
}

// publish writes the tarball if asked, pushes to every destination and
// reads every tag back. sess may be nil: one is made for the push.
func publish(ctx context.Context, img v1.Image, spec plugin.BuildSpec, opts *config.KanikoOptions, sess *session, res plugin.BuildResult, phase func(string)) (plugin.BuildResult, error) {
	dig, err := img.Digest()
	if err != nil {
		return res, fmt.Errorf("computing image digest: %w", err)
	}
	res.Digest = dig.String()
	if res.Size, err = imageSize(img); err != nil {
		return res, fmt.Errorf("computing image size: %w", err)
	}
	tags, err := parseTags(spec.Destinations)
	if err != nil {
		return res, err
	}
	if spec.TarPath != "" {
		start := time.Now()
		if err := writeTarball(spec.TarPath, img, tags); err != nil {
			return res, err
		}
		res.TarPath = spec.TarPath
		res.Phases = append(res.Phases, plugin.PhaseTime{Name: "tar", Took: time.Since(start)})
	}
	if spec.NoPush || len(tags) == 0 {
		return res, nil
	}

	var skip []string
	if spec.BeforePush != nil {
		// The hook may refresh the registry token; the session reads the
		// docker config again on every request.
		if skip, err = spec.BeforePush(ctx, res.Digest); err != nil {
			return res, err
		}
	}

	phase("push")
	start := time.Now()
	if sess == nil {
		if sess, err = newSession(ctx, opts, tags[0].Context().Registry); err != nil {
			return res, err
		}
	}
	if pushTags := without(tags, spec.Destinations, skip); len(pushTags) > 0 {
		if err := sess.push(ctx, img, pushTags, opts.PushRetry); err != nil {
			return res, err
		}
	}
	res.Phases = append(res.Phases, plugin.PhaseTime{Name: "push", Took: time.Since(start)})

	phase("verify")
	start = time.Now()
	if err := sess.verify(ctx, tags, dig); err != nil {
		return res, err
	}
	res.Phases = append(res.Phases, plugin.PhaseTime{Name: "verify", Took: time.Since(start)})
	res.Pushed = spec.Destinations
	return res, nil
}

// writeTarball writes a docker tarball with every tag, via a temporary
// file so a failed write leaves no partial tarball behind.
func writeTarball(path string, img v1.Image, tags []name.Tag) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", path, err)
	}
	refs := make(map[name.Tag]v1.Image, len(tags))
	for _, t := range tags {
		refs[t] = img
	}
	tmp := path + ".partial"
	if err := tarball.MultiWriteToFile(tmp, refs); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing image tarball %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// prepare does what kaniko's CLI does before DoBuild and a library caller
// must repeat: keep /var/run out of snapshots, copy the Dockerfile (and its
// .dockerignore) into /kaniko so a .dockerignore'd Dockerfile still builds,
// and work from "/" so RUN steps without WORKDIR write into the image, not
// into the mounted workspace.
func prepare(opts *config.KanikoOptions) error {
	if opts.IgnoreVarRun {
		util.AddToDefaultIgnoreList(util.IgnoreListEntry{Path: "/var/run"})
	}
	for _, p := range opts.IgnorePaths {
		util.AddToDefaultIgnoreList(util.IgnoreListEntry{Path: p})
	}
	dst := filepath.Join(opts.KanikoDir, "Dockerfile")
	if err := copyFile(opts.DockerfilePath, dst); err != nil {
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

// without returns the tags whose destination is not in skip, in order.
func without(tags []name.Tag, dests, skip []string) []name.Tag {
	out := make([]name.Tag, 0, len(tags))
	for i, t := range tags {
		if !slices.Contains(skip, dests[i]) {
			out = append(out, t)
		}
	}
	return out
}

func parseTags(dests []string) ([]name.Tag, error) {
	tags := make([]name.Tag, len(dests))
	for i, d := range dests {
		t, err := name.NewTag(d, name.WeakValidation)
		if err != nil {
			return nil, fmt.Errorf("parsing destination %q: %w", d, err)
		}
		tags[i] = t
	}
	return tags, nil
}

// retry runs f up to 1+n times, waiting 1s, 2s, 4s... between tries.
func retry(ctx context.Context, n int, f func() error) error {
	var err error
	wait := time.Second
	for i := 0; i <= n; i++ {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		if i < n {
			logrus.Warnf("attempt %d of %d failed, retrying in %s: %v", i+1, n+1, wait, err)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
			wait *= 2
		}
	}
	return err
}

// imageSize adds up the compressed sizes of layers, config and manifest.
func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	total := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}
