package spool

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/stream"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/pgzip"
)

// builtLayer is a layer as kaniko makes one, of a file holding size bytes;
// opens counts the opens of the file after the layer is made.
func builtLayer(t *testing.T, size int) (l v1.Layer, path string, opens *atomic.Int32) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "snapshot.tar")
	if err := os.WriteFile(path, text(size), 0o600); err != nil {
		t.Fatal(err)
	}
	opens = &atomic.Int32{}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		opens.Add(1)
		return os.Open(path)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.DiffID(); err != nil {
		t.Fatal(err)
	}
	opens.Store(0)
	return l, path, opens
}

func readAll(t *testing.T, open func() (io.ReadCloser, error)) []byte {
	t.Helper()
	rc, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestALayerIsCompressedOnceAsItIsReadAndLaterReadsReplayTheSpool(t *testing.T) {
	src, tarPath, opens := builtLayer(t, 3<<20)
	spoolPath := filepath.Join(t.TempDir(), "layer-0")
	l, err := NewLayer(context.Background(), src, 3<<20, Compression{}, spoolPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Digest(); !errors.Is(err, stream.ErrNotComputed) {
		t.Errorf("digest before the first read: %v, want stream.ErrNotComputed", err)
	}
	if _, _, ok := l.ExpectedSize(); ok {
		t.Error("an expected size before anything is compressed")
	}
	first := readAll(t, l.Compressed)
	again := readAll(t, l.Compressed)
	if !bytes.Equal(first, again) {
		t.Error("the second read differs from the first")
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("the tar was opened %d times, want once", n)
	}
	d, err := l.Digest()
	if want, _, _ := v1.SHA256(bytes.NewReader(first)); err != nil || d != want {
		t.Errorf("digest %s (%v), the bytes hash to %s", d, err, want)
	}
	if n, exact, ok := l.ExpectedSize(); !ok || !exact || n != int64(len(first)) {
		t.Errorf("expected size %d (exact %t, ok %t), the bytes are %d", n, exact, ok, len(first))
	}
	zr, err := pgzip.NewReader(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	tarBytes, _ := os.ReadFile(tarPath)
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, tarBytes) {
		t.Errorf("the compressed bytes do not hold the tar (%v)", err)
	}
	l.Remove()
	if _, err := os.Stat(spoolPath); !os.IsNotExist(err) {
		t.Errorf("the spool file is still there after Remove: %v", err)
	}
}

func TestATarChangedAfterTheBuildIsNotCompressed(t *testing.T) {
	src, tarPath, _ := builtLayer(t, 1<<20)
	l, err := NewLayer(context.Background(), src, 1<<20, Compression{Algorithm: "zstd"}, filepath.Join(t.TempDir(), "layer-0"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tarPath, text(1<<19), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(); err == nil || !strings.Contains(err.Error(), "changed after the build") {
		t.Errorf("Finish: %v, want the tar changed after the build", err)
	}
}

func TestThePrecompressorGivesItsSpoolOnlyToTheLayerOfItsUnchangedTar(t *testing.T) {
	src, tarPath, opens := builtLayer(t, 2<<20)
	other, otherPath, _ := builtLayer(t, 1<<20)
	dir := t.TempDir()
	p, err := NewPrecompressor(context.Background(), Compression{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(tarPath)
	p.Add(otherPath)
	p.Add(filepath.Join(t.TempDir(), "gone")) // a tar that went away: never taken
	layer := func(src v1.Layer) *Layer {
		l, err := NewLayer(context.Background(), src, 1<<20, Compression{}, filepath.Join(t.TempDir(), "layer"))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if p.Take(layer(other), tarPath) {
		t.Error("took the spool of one tar for another layer")
	}
	l := layer(src)
	if !p.Take(l, tarPath) {
		t.Fatal("the spool of an unchanged tar was not taken")
	}
	if got, want := readAll(t, l.Compressed), readAll(t, layer(src).Compressed); !bytes.Equal(got, want) {
		t.Error("the spool differs from the layer compressed as it is read")
	}
	if n := opens.Load(); n != 1 {
		t.Errorf("the layer's tar was opened %d times, want once: only by the compression compared with", n)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(otherPath, later, later); err != nil {
		t.Fatal(err)
	}
	if p.Take(layer(other), otherPath) {
		t.Error("took the spool of a tar rewritten after it was compressed")
	}
	if p.Take(layer(src), filepath.Join(t.TempDir(), "gone")) {
		t.Error("took the spool of a tar that went away")
	}
	p.Close()
	left, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(left) != 1 {
		t.Errorf("after Close the spool folder holds %v, want only the spool taken", left)
	}
	if _, err := os.Stat(l.path); err != nil {
		t.Errorf("the spool taken was removed by Close: %v", err)
	}
}
