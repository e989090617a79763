package integration

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// bigContext is a build context with a 6 MiB file of text (above the size
// from which an upload is followed and streamed) and a small one.
func bigContext(t *testing.T) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	for b.Len() < 6<<20 {
		fmt.Fprintf(&b, "line %d of the data: %x\n", rng.IntN(1e9), rng.Uint64())
	}
	return writeFiles(t, map[string]string{
		"Dockerfile": "ARG BASE\nFROM ${BASE}\nCOPY data.txt /data/data.txt\nRUN echo built > /data/small.txt\n",
		"data.txt":   b.String(),
	})
}

// checkLayersMatchConfig reads every layer of img whole and checks that its
// uncompressed bytes hash to the config's diff id (what kaniko recorded when
// it built the layer) and its compressed bytes to the manifest's digest.
func checkLayersMatchConfig(t *testing.T, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != len(cf.RootFS.DiffIDs) {
		t.Fatalf("%d layers, %d diff ids", len(layers), len(cf.RootFS.DiffIDs))
	}
	for i, l := range layers {
		if got := sha256Of(t, l.Uncompressed); got != cf.RootFS.DiffIDs[i].Hex {
			t.Errorf("layer %d: content hashes to %s, the config's diff id is %s", i, got, cf.RootFS.DiffIDs[i])
		}
		d, _ := l.Digest()
		if got := sha256Of(t, l.Compressed); got != d.Hex {
			t.Errorf("layer %d: blob hashes to %s, the manifest names %s", i, got, d)
		}
	}
}

func sha256Of(t *testing.T, open func() (io.ReadCloser, error)) string {
	t.Helper()
	rc, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h, _, err := v1.SHA256(rc)
	if err != nil {
		t.Fatal(err)
	}
	return h.Hex
}

func TestGzipPushAndTarballHoldTheSameImageAsKanikoBuiltIt(t *testing.T) {
	addRepos("team/gzip")
	ws := bigContext(t)
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":        "team/gzip",
		"PLUGIN_TAGS":        "v1",
		"PLUGIN_BUILD_ARGS":  "BASE=" + baseImage,
		"PLUGIN_TAR_PATH":    "out/image.tar",
		"PLUGIN_DIGEST_FILE": "out/digest",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	ref := stack.Registry.Addr + "/team/gzip:v1"
	img, files := pulled(t, ref)
	checkLayersMatchConfig(t, img)
	if got := files["data/small.txt"]; got != "built\n" {
		t.Errorf("small.txt = %q", got)
	}
	m, _ := img.Manifest()
	if m.MediaType != types.DockerManifestSchema2 || m.Layers[len(m.Layers)-1].MediaType != types.DockerLayer {
		t.Errorf("manifest %s, last layer %s: a Docker base keeps a Docker manifest with gzip layers", m.MediaType, m.Layers[len(m.Layers)-1].MediaType)
	}
	digest := digestOf(t, ref)
	if got := strings.TrimSpace(readFile(t, filepath.Join(ws, "out/digest"))); got != digest {
		t.Errorf("digest file says %s, the registry holds %s", got, digest)
	}
	tag, _ := name.NewTag(ref)
	tb, err := tarball.ImageFromPath(filepath.Join(ws, "out/image.tar"), &tag)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := tb.Digest(); d.String() != digest {
		t.Errorf("the tarball holds %s, the registry %s: they must be the same bytes", d, digest)
	}
	if !strings.Contains(r.stderr, "2 new, compressed with gzip -1 (2 while the build ran)") {
		t.Errorf("the log does not say how the layers were compressed:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "MiB sent") {
		t.Errorf("a fast push logged progress:\n%s", r.stderr)
	}
}

func TestZstdBuildIsPushedWithAnOCIManifestAndReadsBack(t *testing.T) {
	addRepos("team/zstd")
	ws := bigContext(t)
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":              "team/zstd",
		"PLUGIN_TAGS":              "v1",
		"PLUGIN_BUILD_ARGS":        "BASE=" + baseImage,
		"PLUGIN_COMPRESSION":       "zstd",
		"PLUGIN_COMPRESSION_LEVEL": "3",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	img, files := pulled(t, stack.Registry.Addr+"/team/zstd:v1")
	checkLayersMatchConfig(t, img)
	if _, ok := files["bin/busybox"]; !ok {
		t.Error("the base image's layer is missing")
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("manifest %s, config %s: want OCI", m.MediaType, m.Config.MediaType)
	}
	if m.Layers[0].MediaType != types.OCILayer {
		t.Errorf("base layer %s, want its gzip bytes named %s", m.Layers[0].MediaType, types.OCILayer)
	}
	for _, l := range m.Layers[1:] {
		if l.MediaType != types.OCILayerZStd {
			t.Errorf("built layer %s is %s, want %s", l.Digest, l.MediaType, types.OCILayerZStd)
		}
	}
}
