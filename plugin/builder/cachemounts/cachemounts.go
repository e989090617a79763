// Package cachemounts keeps the content of RUN --mount=type=cache
// directories in a repository of the registry between builds.
package cachemounts

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
)

// cacheMountConfig is the config media type of a cache mount artifact: an
// OCI manifest with one layer, the mount's directory as a tar.
const cacheMountConfig types.MediaType = "application/vnd.kaniko-ecr.cache-mount.config.v1+json"

// Remote keeps RUN --mount=type=cache directories in a repository of
// the registry (PLUGIN_CACHE_MOUNT_REMOTE), one artifact per mount id,
// tagged by a digest of the id. Nothing here fails the build: a cache that
// cannot be read or written only costs time, and says so in the log.
type Remote struct {
	repo  name.Repository
	opts  []remote.Option
	store string            // the step server's cache store
	diffs map[string]string // store key -> diff id restored, to push only changes
}

// New keeps the mounts of the step server's cache store (store) in the
// repository repo, reached with kc and tr.
func New(repo string, kc authn.Keychain, tr http.RoundTripper, store string) (*Remote, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return nil, err
	}
	return &Remote{repo: r, opts: []remote.Option{remote.WithAuthFromKeychain(kc), remote.WithTransport(tr)}, store: store, diffs: map[string]string{}}, nil
}

// IDs are the store keys of the steps' cache mounts (key -> mount id)
// whose id is known before the build (an id with variables is only known
// to the step).
func IDs(steps []dockerfile.Step) map[string]string {
	ids := map[string]string{}
	for _, s := range steps {
		for _, m := range s.Mounts {
			if m.Type == "cache" && !strings.Contains(m.ID, "$") {
				sum := sha256.Sum256([]byte(m.ID))
				ids[hex.EncodeToString(sum[:])] = m.ID
			}
		}
	}
	return ids
}

func (rm *Remote) tag(key string) name.Tag {
	return rm.repo.Tag("cache-mount-" + key[:40])
}

// Restore pulls every mount's artifact that exists into the store.
func (rm *Remote) Restore(ids map[string]string) {
	for key, id := range ids {
		start := time.Now()
		img, err := remote.Image(rm.tag(key), rm.opts...)
		if err != nil {
			logrus.Infof("cache mount %s: nothing in %s yet (%v)", id, rm.repo, shortErr(err))
			continue
		}
		n, diff, err := extractMount(img, filepath.Join(rm.store, key))
		if err != nil {
			logrus.Warnf("cache mount %s: restoring from %s: %v; starting empty", id, rm.repo, err)
			os.RemoveAll(filepath.Join(rm.store, key))
			continue
		}
		rm.diffs[key] = diff
		logrus.Infof("cache mount %s: restored %s from %s in %s", id, humanSize(n), rm.repo, time.Since(start).Round(time.Millisecond))
	}
}

// Save pushes every mount whose content changed since it was restored,
// packing each in dir first.
func (rm *Remote) Save(ids map[string]string, dir string) {
	for key, id := range ids {
		src := filepath.Join(rm.store, key)
		if _, err := os.Stat(src); err != nil {
			continue // no step used it
		}
		start := time.Now()
		layer, size, err := tarMount(src, filepath.Join(dir, key+".tar"))
		if err != nil {
			logrus.Warnf("cache mount %s: packing: %v; not saved", id, err)
			continue
		}
		diff, err := layer.DiffID()
		if err == nil && diff.String() == rm.diffs[key] {
			logrus.Infof("cache mount %s: unchanged, not pushed", id)
			continue
		}
		img, err := mutate.AppendLayers(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), cacheMountConfig), layer)
		if err == nil {
			img = mutate.Annotations(img, map[string]string{"org.opencontainers.image.title": id}).(v1.Image)
			err = remote.Write(rm.tag(key), img, rm.opts...)
		}
		if err != nil {
			logrus.Warnf("cache mount %s: pushing to %s: %v; not saved", id, rm.repo, shortErr(err))
			continue
		}
		logrus.Infof("cache mount %s: pushed %s to %s in %s", id, humanSize(size), rm.repo, time.Since(start).Round(time.Millisecond))
	}
}

// tarMount writes dir as a tar in a fixed order, with modes, owners, times
// and links, and returns it as a layer with its uncompressed size.
func tarMount(dir, file string) (v1.Layer, int64, error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, 0, err
	}
	tw := tar.NewWriter(f)
	var paths []string
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err == nil && p != dir {
			paths = append(paths, p)
		}
		return err
	})
	sort.Strings(paths)
	for _, p := range paths {
		if err == nil {
			err = addToTar(tw, dir, p)
		}
	}
	err = errors.Join(err, tw.Close(), f.Close())
	if err != nil {
		return nil, 0, err
	}
	fi, err := os.Stat(file)
	if err != nil {
		return nil, 0, err
	}
	layer, err := tarball.LayerFromFile(file)
	return layer, fi.Size(), err
}

func addToTar(tw *tar.Writer, dir, p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	h, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return nil // sockets and the like are not cache content
	}
	rel, _ := filepath.Rel(dir, p)
	h.Name = filepath.ToSlash(rel)
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(tw, in)
	return err
}

// extractMount unpacks the artifact's layer into dir, refusing any entry
// that would land outside it.
func extractMount(img v1.Image, dir string) (int64, string, error) {
	// By the manifest, not the config: the artifact's config is not an
	// image config, so it lists no diff ids.
	m, err := img.Manifest()
	if err != nil || len(m.Layers) != 1 {
		return 0, "", fmt.Errorf("not a cache mount artifact (%v)", err)
	}
	layer, err := img.LayerByDigest(m.Layers[0].Digest)
	if err != nil {
		return 0, "", err
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return 0, "", err
	}
	defer rc.Close()
	h := sha256.New()
	in := io.TeeReader(rc, h)
	var n int64
	var dirs []*tar.Header
	tr := tar.NewReader(in)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			io.Copy(io.Discard, in) // the tar's padding counts in its digest
			// Entries written into a directory moved its time: put the
			// times back, deepest first, so an unchanged cache packs the same.
			for i := len(dirs) - 1; i >= 0; i-- {
				os.Chtimes(filepath.Join(dir, filepath.FromSlash(dirs[i].Name)), dirs[i].ModTime, dirs[i].ModTime)
			}
			return n, "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return n, "", err
		}
		target := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if rel, err := filepath.Rel(dir, target); err != nil || strings.HasPrefix(rel, "..") {
			return n, "", fmt.Errorf("entry %q leaves the cache directory", hdr.Name)
		}
		if hdr.Typeflag == tar.TypeDir {
			dirs = append(dirs, hdr)
		}
		written, err := writeEntry(tr, hdr, target)
		n += written
		if err != nil {
			return n, "", err
		}
	}
}

func writeEntry(r io.Reader, h *tar.Header, target string) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return 0, err
	}
	mode := fs.FileMode(h.Mode).Perm()
	var n int64
	var err error
	switch h.Typeflag {
	case tar.TypeDir:
		err = os.MkdirAll(target, mode)
	case tar.TypeSymlink:
		err = os.Symlink(h.Linkname, target)
	case tar.TypeReg:
		var f *os.File
		if f, err = os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode); err == nil {
			n, err = io.Copy(f, r)
			err = errors.Join(err, f.Close())
		}
	default:
		return 0, nil
	}
	if err == nil {
		err = os.Lchown(target, h.Uid, h.Gid)
	}
	if err == nil && h.Typeflag != tar.TypeSymlink {
		err = os.Chtimes(target, h.ModTime, h.ModTime)
	}
	return n, err
}

func humanSize(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// shortErr keeps a registry error to its first line.
func shortErr(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
