package push

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push/spool"
	"github.com/sirupsen/logrus"
)

// snapshotTar writes a tar like kaniko's snapshots, of about size bytes of
// text that compresses about as source code does, and returns its path.
func snapshotTar(t testing.TB, size int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snapshot.tar")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	rng := rand.New(rand.NewPCG(1, uint64(size)))
	words := strings.Fields("func return if else for range go defer select case struct interface map chan error nil true false")
	for i := 0; size > 0; i++ {
		var b bytes.Buffer
		for b.Len() < 64<<10 {
			fmt.Fprintf(&b, "%s %d %s\n", words[rng.IntN(len(words))], rng.IntN(1e6), words[rng.IntN(len(words))])
		}
		hdr := &tar.Header{Name: fmt.Sprintf("app/file%05d.txt", i), Mode: 0o644, Size: int64(b.Len()), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b.Bytes()); err != nil {
			t.Fatal(err)
		}
		size -= b.Len()
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// builtImage is a base image from the registry's point of view (random
// layers) plus one layer made as kaniko makes it: tarball.LayerFromFile of
// an uncompressed snapshot tar. opens counts the opens of that tar from
// the moment the image is returned.
func builtImage(t testing.TB, size int) (img v1.Image, layer v1.Layer, tarPath string, opens *atomic.Int32) {
	t.Helper()
	base, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	tarPath = snapshotTar(t, size)
	opens = &atomic.Int32{}
	layer, err = tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		opens.Add(1)
		return os.Open(tarPath)
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.AppendLayers(base, layer)
	if err != nil {
		t.Fatal(err)
	}
	opens.Store(0)
	return img, layer, tarPath, opens
}

// pulled reads a tag back through go-containerregistry, as a puller would.
func pulled(t testing.TB, reg *testRegistry, tag name.Tag) v1.Image {
	t.Helper()
	img, err := remote.Image(tag, remote.WithTransport(reg.srv.Client().Transport))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// checkSameContent checks that got has want's config and, layer by layer,
// the same uncompressed bytes, and that every compressed blob hashes to
// the digest its manifest names.
func checkSameContent(t *testing.T, got, want v1.Image) {
	t.Helper()
	gc, _ := got.RawConfigFile()
	wc, _ := want.RawConfigFile()
	if !bytes.Equal(gc, wc) {
		t.Error("the pushed config differs from the built one")
	}
	gl, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	wl, _ := want.Layers()
	if len(gl) != len(wl) {
		t.Fatalf("pushed %d layers, built %d", len(gl), len(wl))
	}
	for i := range gl {
		if a, b := sum(t, gl[i].Uncompressed), sum(t, wl[i].Uncompressed); a != b {
			t.Errorf("layer %d: pushed content hashes to %s, built %s", i, a, b)
		}
		d, _ := gl[i].Digest()
		if c := sum(t, gl[i].Compressed); c != d.Hex {
			t.Errorf("layer %d: the blob hashes to %s, the manifest says %s", i, c, d)
		}
	}
}

func sum(t *testing.T, open func() (io.ReadCloser, error)) string {
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

func TestPushCompressesTheBuiltLayerOnceAndReadsBackWhole(t *testing.T) {
	reg := newTestRegistry(t)
	img, built, _, opens := builtImage(t, 6<<20)
	tags := reg.tags(t, "app", "v1", "latest")
	spool := t.TempDir()
	res := publish(t, reg.session(t), img, tags, func(r *Request) { r.SpoolDir = spool })
	if left, _ := os.ReadDir(spool); len(left) > 0 {
		t.Errorf("the push left %d files in its spool folder", len(left))
	}

	// One open to see that it is a file, one to compress it: kaniko's
	// digest pass is not repeated.
	if n := opens.Load(); n != 2 {
		t.Errorf("the snapshot tar was opened %d times during the push, want 2", n)
	}
	got := pulled(t, reg, tags[1])
	if d, _ := got.Digest(); d.String() != res.Digest {
		t.Errorf("the tag holds %s, Publish reported %s", d, res.Digest)
	}
	checkSameContent(t, got, img)
	layers, _ := got.Layers()
	kanikos, _ := built.Digest()
	if d, _ := layers[1].Digest(); d == kanikos {
		t.Errorf("the built layer went up as kaniko compressed it (%s), not compressed by the push", d)
	}
	if mt, _ := layers[1].MediaType(); mt != types.DockerLayer {
		t.Errorf("built layer media type %s, want %s", mt, types.DockerLayer)
	}
	patches := 0
	for _, r := range reg.requests() {
		if r.method == http.MethodPatch {
			patches++
		}
	}
	if patches != 3 { // base layer, built layer, config
		t.Errorf("%d blob uploads, want 3, each blob once", patches)
	}
}

func TestPushRetryResendsTheSpoolWithoutCompressingAgain(t *testing.T) {
	reg := newTestRegistry(t)
	reg.failBigPatches.Store(1)
	img, _, _, opens := builtImage(t, 6<<20)
	tags := reg.tags(t, "app", "v1")
	res := publish(t, reg.session(t), img, tags, func(r *Request) { r.Retries = 2 })
	if n := opens.Load(); n != 2 {
		t.Errorf("the snapshot tar was opened %d times, want 2: the retry must send the spool", n)
	}
	got := pulled(t, reg, tags[0])
	if d, _ := got.Digest(); d.String() != res.Digest {
		t.Errorf("the tag holds %s, Publish reported %s", d, res.Digest)
	}
	checkSameContent(t, got, img)
}

func TestPushOfTheSameBuildGivesTheSameDigest(t *testing.T) {
	reg := newTestRegistry(t)
	img, _, _, _ := builtImage(t, 3<<20)
	a := publish(t, reg.session(t), img, reg.tags(t, "one", "v1"), nil)
	b := publish(t, reg.session(t), img, reg.tags(t, "two", "v1"), nil)
	if a.Digest != b.Digest {
		t.Errorf("two pushes of one build: %s and %s", a.Digest, b.Digest)
	}
}

func TestZstdPushWritesAnOCIManifestThatReadsBack(t *testing.T) {
	reg := newTestRegistry(t)
	img, _, _, _ := builtImage(t, 2<<20)
	tags := reg.tags(t, "app", "zstd")
	publish(t, reg.session(t), img, tags, func(r *Request) { r.Compression = Compression{Algorithm: "zstd", Level: 3} })
	got := pulled(t, reg, tags[0])
	m, err := got.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("manifest %s with config %s, want OCI", m.MediaType, m.Config.MediaType)
	}
	if m.Layers[0].MediaType != types.OCILayer || m.Layers[1].MediaType != types.OCILayerZStd {
		t.Errorf("layer media types %s, %s; want the base's bytes as %s and the built layer as %s",
			m.Layers[0].MediaType, m.Layers[1].MediaType, types.OCILayer, types.OCILayerZStd)
	}
	checkSameContent(t, got, img)
}

func TestATarChangedAfterTheBuildFailsThePush(t *testing.T) {
	reg := newTestRegistry(t)
	img, _, tarPath, _ := builtImage(t, 1<<20)
	f, err := os.OpenFile(tarPath, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("x"), 600)
	f.Close()
	req := Request{SpoolDir: t.TempDir(), Destinations: []string{reg.tags(t, "app", "v1")[0].String()}}
	_, err = Publish(context.Background(), img, reg.session(t), req)
	if err == nil || !strings.Contains(err.Error(), "changed after the build") {
		t.Fatalf("got %v, want an error saying the layer changed after the build", err)
	}
	for _, r := range reg.requests() {
		if r.method == http.MethodPut && strings.Contains(r.path, "/manifests/") {
			t.Errorf("a tag was written: %s", r.path)
		}
	}
}

func TestTarballWithoutPushHoldsTheSameContent(t *testing.T) {
	img, _, _, opens := builtImage(t, 2<<20)
	out := filepath.Join(t.TempDir(), "image.tar")
	var phases []string
	req := Request{SpoolDir: t.TempDir(), NoPush: true, TarPath: out, Destinations: []string{"registry.example/app:v1"},
		OnPhase: func(p string) { phases = append(phases, p) }}
	res, err := Publish(context.Background(), img, nil, req)
	if err != nil {
		t.Fatal(err)
	}
	if n := opens.Load(); n != 2 {
		t.Errorf("the snapshot tar was opened %d times, want 2", n)
	}
	got, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d.String() != res.Digest {
		t.Errorf("the tarball holds %s, Publish reported %s", d, res.Digest)
	}
	checkSameContent(t, got, img)
	if strings.Join(phases, ",") != "compress,tar" {
		t.Errorf("phases %v, want compress then tar", phases)
	}
}

func TestLongUploadsLogProgressAndShortOnesDoNot(t *testing.T) {
	defer func(a, e time.Duration) { progressAfter, progressEvery = a, e }(progressAfter, progressEvery)
	progressAfter, progressEvery = 150*time.Millisecond, 300*time.Millisecond
	var mu sync.Mutex
	var lines []string
	hook := &captureHook{add: func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }}
	logrus.AddHook(hook)
	defer logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})
	progressLines := func() (out []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, l := range lines {
			if strings.Contains(l, "MiB sent") {
				out = append(out, l)
			}
		}
		lines = nil
		return out
	}

	// A push that ends before the first line logs nothing (the real 5 s:
	// a loaded machine can take more than the slow case's 150 ms).
	progressAfter = 5 * time.Second
	reg := newTestRegistry(t)
	img, _, _, _ := builtImage(t, 6<<20)
	start := time.Now()
	publish(t, reg.session(t), img, reg.tags(t, "fast", "v1"), nil)
	if got := progressLines(); len(got) != 0 && time.Since(start) < progressAfter {
		t.Errorf("a fast push logged progress:\n%s", strings.Join(got, "\n"))
	}
	progressAfter = 150 * time.Millisecond

	// More than the sockets' buffers hold, read at about 6 MiB/s.
	reg.bodyDelay = 5 * time.Millisecond
	img, _, _, _ = builtImage(t, 40<<20)
	publish(t, reg.session(t), img, reg.tags(t, "slow", "v1"), nil)
	got := progressLines()
	if len(got) < 3 {
		t.Fatalf("a slow push logged %d progress lines, want one after 150ms and one every 300ms:\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, l := range got {
		if strings.Contains(l, "all ") && strings.Contains(l, "waiting for the registry") {
			continue // the last bytes sit in the sockets' buffers
		}
		if !strings.Contains(l, "layer sha256:") || !strings.Contains(l, "MiB/s") || !strings.Contains(l, " of ") {
			t.Errorf("progress line %q lacks the layer, the estimated total or the rate", l)
		}
	}
	if !strings.Contains(got[1], "left") {
		t.Errorf("progress line %q has no time left", got[1])
	}
}

// TestARetriedUploadsProgressCountsOnlyTheAttemptUnderWay pushes a large
// layer whose first upload fails after 1 MiB while its progress is logged
// every few milliseconds. The retry sends the spool to a slow registry, so
// the last lines come while the registry still reads the bytes sent: they
// must count the whole blob once, not the failed attempt's bytes as well.
// Under -race it also fails if the count is shared unsafely with the HTTP
// transport, which may still be reading the failed attempt's body (as
// go-containerregistry's own progress count was).
func TestARetriedUploadsProgressCountsOnlyTheAttemptUnderWay(t *testing.T) {
	defer func(a, e time.Duration) { progressAfter, progressEvery = a, e }(progressAfter, progressEvery)
	progressAfter, progressEvery = 10*time.Millisecond, 20*time.Millisecond
	var mu sync.Mutex
	var lines []string
	logrus.AddHook(&captureHook{add: func(s string) { mu.Lock(); lines = append(lines, s); mu.Unlock() }})
	defer logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})

	reg := newTestRegistry(t)
	reg.failBigPatches.Store(1)
	reg.bodyDelay = 20 * time.Millisecond // about 1.6 MiB/s once the first upload has failed
	img, _, _, _ := builtImage(t, 6<<20)
	tags := reg.tags(t, "app", "v1")
	publish(t, reg.session(t), img, tags, func(r *Request) { r.Retries = 2 })
	layers, err := pulled(t, reg, tags[0]).Layers()
	if err != nil {
		t.Fatal(err)
	}
	size, _ := layers[1].Size()
	patches := 0
	for _, r := range reg.requests() {
		if r.method == http.MethodPatch {
			patches++
		}
	}
	if patches != 4 { // the base layer, the built layer twice, the config
		t.Fatalf("%d blob uploads, want 4: the built layer's first upload fails and is retried", patches)
	}

	mu.Lock()
	defer mu.Unlock()
	sentRe := regexp.MustCompile(`: (?:all )?([0-9.]+) (?:of (?:about )?[0-9.]+ )?MiB sent`)
	last := ""
	for _, l := range lines {
		m := sentRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		last = m[1]
		if sent, _ := strconv.ParseFloat(m[1], 64); sent > mib(size)+0.05 {
			t.Errorf("progress line %q counts more than the blob's %.1f MiB: the failed attempt's bytes still count", l, mib(size))
		}
	}
	if want := fmt.Sprintf("%.1f", mib(size)); last != want {
		t.Errorf("the last progress line counts %q MiB, want the blob's %s once; the log:\n%s", last, want, strings.Join(lines, "\n"))
	}
}

type captureHook struct{ add func(string) }

func (h *captureHook) Levels() []logrus.Level { return logrus.AllLevels }
func (h *captureHook) Fire(e *logrus.Entry) error {
	h.add(e.Message)
	return nil
}

func TestLayersKeptAsBuiltGoAsTheBuildCompressedThem(t *testing.T) {
	reg := newTestRegistry(t)
	img, built, _, opens := builtImage(t, 1<<20)
	img, err := mutate.Config(img, v1.Config{}) // keeps the history
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf.History = []v1.History{{CreatedBy: "FROM base"}, {CreatedBy: "RUN make"}}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	var asked []string
	tags := reg.tags(t, "app", "v1")
	publish(t, reg.session(t), img, tags, func(r *Request) {
		r.KeepAsBuilt = func(createdBy string) bool { asked = append(asked, createdBy); return createdBy == "RUN make" }
	})
	layers, _ := pulled(t, reg, tags[0]).Layers()
	want, _ := built.Digest()
	if got, _ := layers[1].Digest(); got != want {
		t.Errorf("the kept layer went up as %s, want the build's own %s", got, want)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("the snapshot tar was opened %d times, want once (by the upload of kaniko's bytes)", n)
	}
	if strings.Join(asked, ",") != "FROM base,RUN make" {
		t.Errorf("KeepAsBuilt was asked about %q", asked)
	}
}

func TestASmallBuiltLayerTheRepositoryHasIsNotSentAgain(t *testing.T) {
	reg := newTestRegistry(t)
	img, _, _, _ := builtImage(t, 1<<20)
	publish(t, reg.session(t), img, reg.tags(t, "app", "v1"), nil)
	reg.reset()
	publish(t, reg.session(t), img, reg.tags(t, "app", "v2"), nil)
	for _, r := range reg.requests() {
		if r.method == http.MethodPatch {
			t.Errorf("a blob the repository holds was sent again: %s", r.path)
		}
	}
}

func TestLayersCompressedDuringTheBuildAreSentFromTheirSpool(t *testing.T) {
	reg := newTestRegistry(t)
	img, _, tarPath, opens := builtImage(t, 3<<20)
	want := publish(t, reg.session(t), img, reg.tags(t, "plain", "v1"), nil).Digest
	opens.Store(0)

	early, err := NewPrecompressor(context.Background(), Compression{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	early.Add(tarPath)
	early.Add(filepath.Join(t.TempDir(), "12345")) // a tar that went away: ignored
	tags := reg.tags(t, "early", "v1")
	res := publish(t, reg.session(t), img, tags, func(r *Request) { r.Early = early })
	if res.Digest != want {
		t.Errorf("compressed during the build: %s, as it uploads: %s; want the same bytes", res.Digest, want)
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("the layer's tar was opened %d times by the push, want once (to see it is a file)", n)
	}
	checkSameContent(t, pulled(t, reg, tags[0]), img)
}

func TestATarRewrittenAfterItsEarlyCompressionIsCompressedAgain(t *testing.T) {
	reg := newTestRegistry(t)
	img, _, tarPath, opens := builtImage(t, 1<<20)
	early, err := NewPrecompressor(context.Background(), Compression{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	early.Add(tarPath)
	other, err := random.Layer(1024, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := spool.NewLayer(context.Background(), other, 1024, Compression{}, filepath.Join(t.TempDir(), "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	if early.Take(wrong, tarPath) { // waits for it; a wrong diff id is not taken
		t.Fatal("took a spool for the wrong diff id")
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(tarPath, later, later)
	tags := reg.tags(t, "app", "v1")
	publish(t, reg.session(t), img, tags, func(r *Request) { r.Early = early })
	if n := opens.Load(); n != 2 {
		t.Errorf("the tar was opened %d times, want 2: compressed again as it uploads", n)
	}
	checkSameContent(t, pulled(t, reg, tags[0]), img)
}
