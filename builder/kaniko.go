package builder

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/executor"
	"github.com/chainguard-dev/kaniko/pkg/util"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
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

	var tags []name.Tag
	var sess *session
	push := !spec.NoPush && len(spec.Destinations) > 0
	if push {
		if tags, err = parseTags(spec.Destinations); err != nil {
			return res, err
		}
		// The credentials, the connection and the registry's auth
		// handshake do not depend on the build: get them ready meanwhile.
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

	dig, err := img.Digest()
	if err != nil {
		return res, fmt.Errorf("computing image digest: %w", err)
	}
	res.Digest = dig.String()
	if res.Size, err = imageSize(img); err != nil {
		return res, fmt.Errorf("computing image size: %w", err)
	}
	if !push {
		return res, nil
	}

	phase("push")
	start = time.Now()
	if err := sess.push(ctx, img, tags, opts.PushRetry); err != nil {
		return res, err
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
