package push

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/sirupsen/logrus"
)

// Request says where and how to publish one image.
type Request struct {
	Destinations []string // full references with a tag
	NoPush       bool
	TarPath      string // also write a docker tarball here
	OCILayout    string // also write an OCI image layout in this directory
	Insecure     bool   // push over plain HTTP
	Retries      int    // per blob upload and per tag

	// Compression is how the layers the build made are compressed, once,
	// as they upload; SpoolDir is where their compressed bytes are kept
	// meanwhile (for retries, other repositories and the tarball).
	Compression Compression
	SpoolDir    string
	// KeepAsBuilt, when set, names the layers (by their history entry's
	// created_by) that go as the build compressed them: those kaniko's
	// layer cache holds, so that a layer built fresh and the same layer
	// from the cache are one blob with one digest.
	KeepAsBuilt func(createdBy string) bool
	// Early, when set, holds the layer tars compressed during the build.
	Early *Precompressor
	// KeepCreated: when a tag already holds this image but for its
	// creation time, the image takes that time (and so that digest).
	KeepCreated bool

	// BeforeUpload, when set, is called before the first blob goes up. It
	// may refresh the registry credentials.
	BeforeUpload func(ctx context.Context) error

	// BeforePush, when set, is called once the blobs are up and before any
	// tag is written, with the manifest digest. It returns the
	// destinations that already hold that digest, which are not pushed
	// again (ECR refuses even an identical push to an immutable tag) but
	// still read back, or an error that ends the run with no tag pushed.
	BeforePush func(ctx context.Context, digest string) (skip []string, err error)

	// Attach, when set, is called as soon as the image's digest is known
	// (its new layers compressed; for an image every tag holds already,
	// once the upload has counted its blobs), concurrently with the last
	// uploads, the tarball, BeforePush, writing the tags and reading them
	// back, with the result so far (Pushed: the destinations). What it
	// returns, if not nil, is called once the tags are written, or have
	// failed (tagged false), and waited for. Neither fails the push, nor
	// holds up the tags.
	Attach func(ctx context.Context, res Result) (finish func(ctx context.Context, tagged bool))

	// OnPhase, when set, is called as publishing enters each phase
	// ("compress" when nothing is pushed, "upload", "tar", "push",
	// "verify"), so the run can time them and an interrupt can say where
	// it hit.
	OnPhase func(phase string)
}

// Result describes what was published.
type Result struct {
	Digest  string // sha256:..., of the manifest
	Size    int64  // compressed bytes: layers, config and manifest
	Pushed  []string
	TarPath string   // where a tarball was written, if one was
	Image   v1.Image // the image as published: its manifest names the bytes sent
	// Uploaded is how many blobs went up; Unchanged: every tag already
	// held the image.
	Uploaded  int64
	Unchanged bool
	// AttachWait is how long the push waited for Request.Attach once every
	// tag was read back: what attaching added to the push's time.
	AttachWait time.Duration
}

// Publish compresses the layers the build made, once, while it pushes
// them to every destination's repository over sess; then it writes the
// tarball and layout if asked, writes every tag and reads every tag back.
// sess may be nil only when nothing is pushed.
func Publish(ctx context.Context, img v1.Image, sess *Session, req Request) (Result, error) {
	var res Result
	phase := func(n string) {
		if req.OnPhase != nil {
			req.OnPhase(n)
		}
	}
	tags, err := ParseTags(req.Destinations, req.Insecure)
	if err != nil {
		return res, err
	}
	pushing := !req.NoPush && len(tags) > 0
	if !pushing && req.TarPath == "" && req.OCILayout == "" {
		return describe(img)
	}
	if pushing && req.BeforeUpload != nil {
		if err := req.BeforeUpload(ctx); err != nil {
			return res, err
		}
	}
	if pushing && req.KeepCreated {
		img = sess.keepCreated(ctx, img, tags)
	}
	prep, err := prepare(ctx, img, req.Compression, req.SpoolDir, req.KeepAsBuilt, req.Early)
	if err != nil {
		return res, err
	}
	defer prep.cleanup()
	var held []v1.Hash
	var att *attaching
	if pushing {
		phase("upload")
		before := sess.blobs.n.Load()
		heads := later(func() []v1.Hash { return sess.heads(ctx, tags) })
		att = startAttach(ctx, req, prep, heads)
		defer att.wait()
		err := sess.upload(ctx, prep, repositories(tags), req.Retries)
		held = heads()
		res.Uploaded = sess.blobs.n.Load() - before
		att.uploaded(res.Uploaded, err)
		if err != nil {
			return res, err
		}
	} else {
		phase("compress")
		if err := prep.finish(); err != nil {
			return res, err
		}
	}
	final, err := prep.image()
	if err != nil {
		return res, err
	}
	uploaded := res.Uploaded
	if res, err = describe(final); err != nil {
		return res, err
	}
	if pushing {
		res.Uploaded, res.Unchanged = uploaded, unchanged(held, res.Digest)
	}
	if err := writeFiles(req, final, tags, phase); err != nil {
		return res, err
	}
	res.TarPath = req.TarPath
	if !pushing {
		return res, nil
	}
	return res, pushTags(ctx, sess, final, tags, held, req, &res, phase, att)
}

// pushTags writes every tag that BeforePush does not skip, then reads all
// of them back, and tells att whether the tags are written.
func pushTags(ctx context.Context, sess *Session, img v1.Image, tags []name.Tag, held []v1.Hash, req Request, res *Result, phase func(string), att *attaching) error {
	var skip []string
	if req.BeforePush != nil {
		var err error
		if skip, err = req.BeforePush(ctx, res.Digest); err != nil {
			return err
		}
	}
	phase("push")
	var push []name.Tag
	var pushHeld []v1.Hash
	for i, t := range tags {
		if !slices.Contains(skip, req.Destinations[i]) {
			push, pushHeld = append(push, t), append(pushHeld, held[i])
		}
	}
	err := sess.tag(ctx, img, push, pushHeld, req.Retries)
	att.done(err == nil)
	if err != nil {
		return err
	}
	phase("verify")
	dig, _ := v1.NewHash(res.Digest)
	err = sess.verify(ctx, tags, dig)
	waitFrom := time.Now()
	att.wait()
	res.AttachWait = time.Since(waitFrom)
	if err != nil {
		return err
	}
	res.Pushed = req.Destinations
	return nil
}

// writeFiles writes the tarball and the layout that were asked for.
func writeFiles(req Request, img v1.Image, tags []name.Tag, phase func(string)) error {
	if req.TarPath != "" {
		phase("tar")
		if err := writeTarball(req.TarPath, img, tags); err != nil {
			return err
		}
	}
	if req.OCILayout != "" {
		phase("tar")
		if err := writeLayout(req.OCILayout, img); err != nil {
			return err
		}
	}
	return nil
}

// describe is the result's digest and size of img.
func describe(img v1.Image) (Result, error) {
	res := Result{Image: img}
	dig, err := img.Digest()
	if err != nil {
		return res, fmt.Errorf("computing image digest: %w", err)
	}
	res.Digest = dig.String()
	if res.Size, err = imageSize(img); err != nil {
		return res, fmt.Errorf("computing image size: %w", err)
	}
	return res, nil
}

// repositories are the tags' repositories, each once, in order.
func repositories(tags []name.Tag) []name.Repository {
	var repos []name.Repository
	for _, t := range tags {
		if r := t.Context(); !slices.Contains(repos, r) {
			repos = append(repos, r)
		}
	}
	return repos
}

// LoadTarball reads the image in a docker tarball (as written by
// PLUGIN_TAR_PATH, kaniko --tar-path or docker save).
func LoadTarball(path string) (v1.Image, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, fmt.Errorf("loading %s as an image tarball: %w", path, err)
	}
	return img, nil
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

// ParseTags parses full destination references; insecure: the registry is
// reached over plain HTTP (kaniko --insecure).
func ParseTags(dests []string, insecure bool) ([]name.Tag, error) {
	opts := []name.Option{name.WeakValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	tags := make([]name.Tag, len(dests))
	for i, d := range dests {
		t, err := name.NewTag(d, opts...)
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
