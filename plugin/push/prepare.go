package push

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push/spool"
)

// prepared is the image as the push sends it: the layers the build made
// are compressed here, once, on every core (spool.Layer); base and cached
// layers go as the registry holds them. Its manifest is written only once
// every new layer has been sent, from the digests of the bytes sent.
type prepared struct {
	src    v1.Image
	layers []v1.Layer     // in manifest order
	spools []*spool.Layer // the distinct layers compressed here
	comp   Compression
	oci    bool // the manifest becomes OCI (zstd needs it)
	dir    string
	cancel context.CancelFunc
	early  int // new layers compressed while the build ran
}

// prepare wraps img's layers; nothing is compressed yet. The spool files
// go in a new folder under dir (the system's temp folder when dir is empty
// or missing); cleanup removes it.
func prepare(ctx context.Context, img v1.Image, comp Compression, dir string, keep func(createdBy string) bool, early *Precompressor) (*prepared, error) {
	if dir == "" {
		dir = os.TempDir()
	} else if _, err := os.Stat(dir); err != nil {
		dir = os.TempDir()
	}
	spoolDir, err := os.MkdirTemp(dir, "push-")
	if err != nil {
		return nil, fmt.Errorf("creating the push's spool folder: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &prepared{src: img, comp: comp, dir: spoolDir, cancel: cancel}
	if mt, err := img.MediaType(); err == nil && comp.Zstd() && !isOCI(mt) {
		p.oci = true
	}
	layers, err := img.Layers()
	if err != nil {
		p.cleanup()
		return nil, err
	}
	kept := keptLayers(img, len(layers), keep)
	byDiffID := map[v1.Hash]*spool.Layer{}
	for i, l := range layers {
		if kept[i] {
			p.layers = append(p.layers, l)
			continue
		}
		path, usize, built := builtLayer(l)
		if !built {
			p.layers = append(p.layers, l)
			continue
		}
		d, err := l.DiffID()
		if err != nil {
			p.cleanup()
			return nil, err
		}
		s := byDiffID[d]
		if s == nil {
			if s, err = spool.NewLayer(ctx, l, usize, comp, filepath.Join(spoolDir, fmt.Sprintf("layer-%d", i))); err != nil {
				p.cleanup()
				return nil, err
			}
			if early.Take(s, path) { // compressed while the build went on
				p.early++
			}
			byDiffID[d] = s
			p.spools = append(p.spools, s)
		}
		p.layers = append(p.layers, s)
	}
	return p, nil
}

// cleanup removes the spool files and their folder (file by file: nothing
// but the build removes whole trees).
func (p *prepared) cleanup() {
	p.cancel() // a compression still running stops reading
	for _, s := range p.spools {
		s.Remove()
	}
	os.Remove(p.dir)
}

// describe says what the push sends, for the log.
func (p *prepared) describe() string {
	if len(p.spools) == 0 {
		return fmt.Sprintf("%d layers, none to compress here", len(p.layers))
	}
	if p.early > 0 {
		return fmt.Sprintf("%d layers, %d new, compressed with %s (%d while the build ran)", len(p.layers), len(p.spools), p.comp, p.early)
	}
	return fmt.Sprintf("%d layers, %d new, compressed with %s as they upload", len(p.layers), len(p.spools), p.comp)
}

// finish compresses every new layer into the spool, for a tarball or a
// layout when nothing is pushed.
func (p *prepared) finish() error {
	for _, s := range p.spools {
		if err := s.Finish(); err != nil {
			return err
		}
	}
	return nil
}

// keptLayers marks the layers whose history entry keep accepts: they go
// as the build compressed them. When the history does not line up with
// the layers, every layer is kept if keep is set.
func keptLayers(img v1.Image, n int, keep func(string) bool) []bool {
	kept := make([]bool, n)
	if keep == nil {
		return kept
	}
	var created []string
	if cf, err := img.ConfigFile(); err == nil {
		for _, h := range cf.History {
			if !h.EmptyLayer {
				created = append(created, h.CreatedBy)
			}
		}
	}
	for i := range kept {
		kept[i] = len(created) != n || keep(created[i])
	}
	return kept
}

// builtLayer reports whether l is a layer the build made: its uncompressed
// bytes are a file (kaniko's snapshot tar), which still has to be
// compressed, and which file and how big. Layers from a registry (the base
// image, kaniko's cache) are never read to find out.
func builtLayer(l v1.Layer) (path string, size int64, built bool) {
	if _, remote := l.(*remote.MountableLayer); remote {
		return "", 0, false
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return "", 0, false
	}
	defer rc.Close()
	f, ok := rc.(*os.File)
	if !ok {
		return "", 0, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return "", 0, false
	}
	return f.Name(), fi.Size(), true
}

// image is the image as it was sent: the build's config, and a manifest
// whose layers carry the digests and sizes of the bytes actually sent. It
// waits for every new layer's compression to end.
func (p *prepared) image() (v1.Image, error) {
	src, err := p.src.Manifest()
	if err != nil {
		return nil, err
	}
	m := src.DeepCopy()
	if len(m.Layers) != len(p.layers) {
		return nil, fmt.Errorf("the image has %d layers and its manifest %d", len(p.layers), len(m.Layers))
	}
	byDigest := make(map[v1.Hash]v1.Layer, len(p.layers))
	for i, l := range p.layers {
		d := &m.Layers[i]
		if s, ok := l.(*spool.Layer); ok {
			if d.Digest, err = s.Digest(); err != nil {
				return nil, err
			}
			d.Size, _ = s.Size()
			d.MediaType, _ = s.MediaType()
		}
		if p.oci {
			d.MediaType = ociLayerType(d.MediaType)
		}
		byDigest[d.Digest] = l
	}
	if p.oci {
		m.MediaType, m.Config.MediaType = types.OCIManifestSchema1, types.OCIConfigJSON
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	cfg, err := p.src.RawConfigFile()
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&sentImage{manifest: raw, mt: m.MediaType, config: cfg, layers: byDigest})
}

func isOCI(mt types.MediaType) bool { return strings.Contains(string(mt), "vnd.oci.") }

// ociLayerType is the OCI media type of a Docker layer's bytes.
func ociLayerType(mt types.MediaType) types.MediaType {
	switch mt {
	case types.DockerLayer:
		return types.OCILayer
	case types.DockerForeignLayer:
		return types.OCIRestrictedLayer
	case types.DockerUncompressedLayer:
		return types.OCIUncompressedLayer
	}
	return mt
}

// sentImage is partial.CompressedImageCore for prepared.image.
type sentImage struct {
	manifest, config []byte
	mt               types.MediaType
	layers           map[v1.Hash]v1.Layer
}

func (i *sentImage) RawConfigFile() ([]byte, error)      { return i.config, nil }
func (i *sentImage) MediaType() (types.MediaType, error) { return i.mt, nil }
func (i *sentImage) RawManifest() ([]byte, error)        { return i.manifest, nil }

func (i *sentImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("no layer %s in the image", h)
}

// wait waits for every new layer's compression to end, and so for the
// digests the manifest names; it stops waiting when ctx ends.
func (p *prepared) wait(ctx context.Context) error {
	for _, s := range p.spools {
		if err := s.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}
