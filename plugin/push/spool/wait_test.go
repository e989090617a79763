package spool

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// Wait waits for a compression that starts after it is called, returns at
// once for a spool taken from the precompressor, and gives up when its
// context ends.
func TestWaitReturnsOnceTheCompressionStartedLaterHasEnded(t *testing.T) {
	src, _, _ := builtLayer(t, 1<<20)
	l, err := NewLayer(context.Background(), src, 1<<20, Compression{}, filepath.Join(t.TempDir(), "layer-0"))
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- l.Wait(context.Background()) }()
	select {
	case err := <-waited:
		t.Fatalf("Wait returned (%v) before anything was compressed", err)
	case <-time.After(50 * time.Millisecond):
	}
	readAll(t, l.Compressed)
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after the compression ended")
	}
	if _, err := l.Digest(); err != nil {
		t.Errorf("digest after Wait: %v", err)
	}

	idle, err := NewLayer(context.Background(), src, 1<<20, Compression{}, filepath.Join(t.TempDir(), "layer-1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := idle.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on a layer nobody reads: %v, want the context's end", err)
	}
}

func TestWaitOnASpoolTakenFromThePrecompressorReturnsAtOnce(t *testing.T) {
	src, tarPath, _ := builtLayer(t, 1<<20)
	p, err := NewPrecompressor(context.Background(), Compression{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Add(tarPath)
	l, err := NewLayer(context.Background(), src, 1<<20, Compression{}, filepath.Join(t.TempDir(), "layer"))
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- l.Wait(context.Background()) }()
	if !p.Take(l, tarPath) {
		t.Fatal("the spool was not taken")
	}
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return once the spool was taken")
	}
	if err := l.Wait(context.Background()); err != nil {
		t.Errorf("Wait after Take: %v", err)
	}
}
