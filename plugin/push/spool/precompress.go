package spool

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"
)

// Precompressor compresses the build's layer tars while the build goes
// on: the builder reports each tar as soon as it is written (Add), and
// they are compressed one after the other, as Publish would, into spool
// files. kaniko then computes the layer's digest, or runs the next step,
// on one core while this uses the others. The push takes a spool (Take)
// only if its tar is still the file it was (same size and modification
// time) and hashes to the diff id kaniko recorded; otherwise it compresses
// the layer itself. Close removes what the push did not take.
type Precompressor struct {
	ctx    context.Context
	cancel context.CancelFunc
	comp   Compression
	dir    string
	queue  chan *early
	done   chan struct{}

	mu      sync.Mutex
	byPath  map[string]*early
	stopped bool
}

// early is one tar compressed during the build.
type early struct {
	path, spool string
	run         *compressRun
	size        int64
	mtime       time.Time
	diffID      v1.Hash
	taken       bool
}

// NewPrecompressor starts one; its spool folder is a new folder under dir
// (the system's temp folder when dir is missing).
func NewPrecompressor(ctx context.Context, comp Compression, dir string) (*Precompressor, error) {
	if _, err := os.Stat(dir); dir == "" || err != nil {
		dir = os.TempDir()
	}
	spool, err := os.MkdirTemp(dir, "push-early-")
	if err != nil {
		return nil, fmt.Errorf("creating the push's spool folder: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &Precompressor{ctx: ctx, cancel: cancel, comp: comp, dir: spool, queue: make(chan *early, 256),
		done: make(chan struct{}), byPath: map[string]*early{}}
	go p.work()
	return p, nil
}

// Add queues the tar at path. It never blocks; a tar added twice (kaniko
// reuses no names, but a file may be closed twice) is compressed once.
func (p *Precompressor) Add(path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.byPath[path] != nil {
		return
	}
	e := &early{path: path, spool: filepath.Join(p.dir, fmt.Sprintf("layer-%d", len(p.byPath))), run: &compressRun{done: make(chan struct{})}}
	select {
	case p.queue <- e:
		p.byPath[path] = e
	default: // a build with hundreds of layers: the rest are compressed as they upload
	}
}

func (p *Precompressor) work() {
	defer close(p.done)
	for e := range p.queue {
		e.compress(p.ctx, p.comp)
		close(e.run.done)
	}
}

func (e *early) compress(ctx context.Context, comp Compression) {
	f, err := os.Open(e.path)
	if err != nil {
		e.run.err = err
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		e.run.err = err
		return
	}
	e.size, e.mtime = fi.Size(), fi.ModTime()
	e.run.digest, e.run.size, e.diffID, e.run.err = compressTo(ctx, f, e.spool, comp, io.Discard, e.run)
}

// take gives the spool of the tar at path when it holds the layer with
// diffID, waiting for its compression if it is still running.
func (p *Precompressor) take(path string, diffID v1.Hash) (*early, bool) {
	if p == nil {
		return nil, false
	}
	p.mu.Lock()
	e := p.byPath[path]
	p.mu.Unlock()
	if e == nil {
		return nil, false
	}
	<-e.run.done
	fi, err := os.Stat(path)
	if e.run.err != nil || err != nil || fi.Size() != e.size || !fi.ModTime().Equal(e.mtime) || e.diffID != diffID {
		logrus.Debugf("the tar %s compressed during the build is not layer %s: compressing it again", path, diffID)
		return nil, false
	}
	p.mu.Lock()
	e.taken = true
	p.mu.Unlock()
	return e, true
}

// Take gives l the spool of the tar at path, compressed during the build,
// when it holds l's layer, waiting for its compression if it is still
// running; it reports whether it did. Call it before l is read. A nil
// Precompressor takes nothing.
func (p *Precompressor) Take(l *Layer, path string) bool {
	e, ok := p.take(path, l.diffID)
	if !ok {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.path = e.spool
	l.setRun(e.run)
	return true
}

// Close stops the compression still running and removes the spools that
// were not taken (those taken belong to the push, which removes them).
func (p *Precompressor) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.queue)
	}
	p.mu.Unlock()
	p.cancel()
	<-p.done
	for _, e := range p.byPath {
		if !e.taken {
			os.Remove(e.spool)
		}
	}
	os.Remove(p.dir)
}
