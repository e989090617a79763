// Package spool compresses the layers the build made for the push: once,
// on every core, into a spool file that later reads replay (Layer), and
// while the build goes on (Precompressor). It knows neither the registry
// nor kaniko: it reads tars and writes spool files.
package spool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/stream"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Compression is how the layers the build made are compressed for the
// push: kaniko's --compression and --compression-level.
type Compression struct {
	Algorithm string // "gzip" (the default) or "zstd"
	Level     int    // 0: 1, the level kaniko and go-containerregistry use when none is set
}

// Zstd reports whether the layers are compressed with zstd, whose media
// type only an OCI manifest carries.
func (c Compression) Zstd() bool { return strings.EqualFold(c.Algorithm, "zstd") }

func (c Compression) level() int {
	if c.Level == 0 {
		return 1
	}
	return c.Level
}

// String is how the log names it: "gzip -1", "zstd -3".
func (c Compression) String() string {
	if c.Zstd() {
		return fmt.Sprintf("zstd -%d", c.level())
	}
	return fmt.Sprintf("gzip -%d", c.level())
}

// writer compresses into w on every core. gzip is klauspost/pgzip: 1 MiB
// blocks compressed in parallel, each primed with the 32 KiB before it, so
// the bytes depend only on the input and the level, never on the number of
// cores. zstd is klauspost/compress's encoder with the level mapped as
// go-containerregistry (and so kaniko) maps it.
func (c Compression) writer(w io.Writer) (io.WriteCloser, error) {
	if c.Zstd() {
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(c.level())))
	}
	return pgzip.NewWriterLevel(w, c.level())
}

// mediaType is the media type of a layer compressed this way, given the
// media type the build gave it.
func (c Compression) mediaType(built types.MediaType) types.MediaType {
	switch {
	case c.Zstd():
		return types.OCILayerZStd
	case strings.Contains(string(built), "oci"):
		return types.OCILayer
	default:
		return types.DockerLayer
	}
}

// Layer is a layer the build made, compressed once, on every core, as
// it is first read: the compressed bytes go to that reader (the upload)
// and to a spool file at the same time, and the digest and size are known
// once the last byte is out. Later reads (a retry, another repository, the
// tarball) replay the spool. Before the first read, Digest and Size return
// stream.ErrNotComputed, which tells go-containerregistry to stream the
// upload and commit it under the digest it has at the end.
type Layer struct {
	ctx    context.Context
	src    v1.Layer
	comp   Compression
	path   string
	diffID v1.Hash
	mt     types.MediaType
	usize  int64 // uncompressed bytes, from the build's tar file

	mu    sync.Mutex
	run   *compressRun  // the one compression, once started
	begun chan struct{} // closed when run is set, for Wait
}

// compressRun is the compression of one layer; done closes when it ends.
type compressRun struct {
	done   chan struct{}
	digest v1.Hash
	size   int64
	err    error
	read   atomic.Int64 // uncompressed bytes read so far
	made   atomic.Int64 // compressed bytes made so far
	pw     *io.PipeWriter
}

// NewLayer wraps src, a layer the build made whose tar holds usize bytes,
// to be compressed with comp into the spool file at path; nothing is
// compressed before the first read. The compression stops reading when ctx
// ends.
func NewLayer(ctx context.Context, src v1.Layer, usize int64, comp Compression, path string) (*Layer, error) {
	diffID, err := src.DiffID()
	if err != nil {
		return nil, err
	}
	mt, err := src.MediaType()
	if err != nil {
		return nil, err
	}
	return &Layer{ctx: ctx, src: src, comp: comp, path: path, diffID: diffID, mt: comp.mediaType(mt), usize: usize}, nil
}

// DiffID is the digest of the build's tar, as kaniko recorded it.
func (l *Layer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Uncompressed reads the build's tar.
func (l *Layer) Uncompressed() (io.ReadCloser, error) { return l.src.Uncompressed() }

// MediaType is the media type of the layer compressed this way.
func (l *Layer) MediaType() (types.MediaType, error) { return l.mt, nil }

// Digest is the compressed bytes' digest once the compression has ended;
// before, stream.ErrNotComputed.
func (l *Layer) Digest() (v1.Hash, error) { r, err := l.result(); return r.digest, err }

// Size is the compressed bytes' size once the compression has ended;
// before, stream.ErrNotComputed.
func (l *Layer) Size() (int64, error) { r, err := l.result(); return r.size, err }

// TarSize is the size of the build's tar: the uncompressed bytes.
func (l *Layer) TarSize() int64 { return l.usize }

// Wait waits for the compression to end, from whenever its first read
// starts it, and returns its error; it stops waiting when ctx ends.
func (l *Layer) Wait(ctx context.Context) error {
	l.mu.Lock()
	r := l.run
	if r == nil && l.begun == nil {
		l.begun = make(chan struct{})
	}
	begun := l.begun
	l.mu.Unlock()
	if r == nil {
		select {
		case <-begun:
		case <-ctx.Done():
			return ctx.Err()
		}
		r, _ = l.started()
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// setRun records the one compression; l.mu is held.
func (l *Layer) setRun(r *compressRun) {
	l.run = r
	if l.begun != nil {
		close(l.begun)
		l.begun = nil
	}
}

func (l *Layer) started() (r *compressRun, started bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.run, l.run != nil
}

// result is the compression's outcome once it has ended; before that,
// stream.ErrNotComputed. It never waits: go-containerregistry asks for
// the size while it holds the reader that makes it.
func (l *Layer) result() (*compressRun, error) {
	r, ok := l.started()
	if ok {
		select {
		case <-r.done:
			return r, r.err
		default:
		}
	}
	return &compressRun{}, stream.ErrNotComputed
}

// Compressed returns the compressed bytes: as they are made on the first
// call, from the spool file after that. Closing the first reader early
// does not stop the compression: the spool is finished for the retry.
func (l *Layer) Compressed() (io.ReadCloser, error) {
	l.mu.Lock()
	if l.run == nil {
		pr, pw := io.Pipe()
		l.start(pw)
		l.mu.Unlock()
		return pr, nil
	}
	r := l.run
	l.mu.Unlock()
	<-r.done
	if r.err != nil {
		return nil, r.err
	}
	return os.Open(l.path)
}

// Finish compresses the layer into the spool without uploading it, and
// waits for a compression under way to end.
func (l *Layer) Finish() error {
	l.mu.Lock()
	if l.run == nil {
		l.start(nil)
	}
	r := l.run
	l.mu.Unlock()
	<-r.done
	return r.err
}

// ExpectedSize is the compressed size: exact once the compression has
// ended, else extrapolated from how far it is; ok is false before anything
// is compressed.
func (l *Layer) ExpectedSize() (size int64, exact, ok bool) {
	r, started := l.started()
	if !started {
		return 0, false, false
	}
	if res, err := l.result(); err == nil {
		return res.size, true, true
	}
	read, made := r.read.Load(), r.made.Load()
	if read <= 0 || made <= 0 {
		return 0, false, false
	}
	return int64(float64(made) * float64(l.usize) / float64(read)), false, true
}

// Remove waits for a compression still running, unblocking a write that
// nobody reads, and removes the spool file. End the context the layer was
// made with first, so that the compression stops reading.
func (l *Layer) Remove() {
	if r, ok := l.started(); ok {
		if r.pw != nil {
			r.pw.CloseWithError(context.Canceled)
		}
		<-r.done
	}
	os.Remove(l.path)
}

// start begins the compression; l.mu is held. pw, when not nil, gets the
// bytes as they come; it sees EOF only once digest and size are known.
func (l *Layer) start(pw *io.PipeWriter) {
	r := &compressRun{done: make(chan struct{}), pw: pw}
	l.setRun(r)
	go func() {
		out := io.Discard
		if pw != nil {
			out = &lossyWriter{w: pw}
		}
		r.digest, r.size, r.err = l.compress(r, out)
		close(r.done)
		if pw != nil {
			pw.CloseWithError(r.err)
		}
	}()
}

// compress reads the build's tar once: it checks its digest against the
// diff id kaniko recorded and writes the compressed bytes to the spool,
// to out and through the digest.
func (l *Layer) compress(r *compressRun, out io.Writer) (v1.Hash, int64, error) {
	src, err := l.src.Uncompressed()
	if err != nil {
		return v1.Hash{}, 0, err
	}
	defer src.Close()
	digest, size, diffID, err := compressTo(l.ctx, src, l.path, l.comp, out, r)
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("layer %s: %w", l.diffID, err)
	}
	if diffID != l.diffID {
		return v1.Hash{}, 0, fmt.Errorf("layer %s changed after the build: its tar now hashes to %s", l.diffID, diffID)
	}
	return digest, size, nil
}

// compressTo compresses src into the file spool (and out), counting in r,
// and returns the compressed digest and size and the digest of src.
func compressTo(ctx context.Context, src io.Reader, spool string, comp Compression, out io.Writer, r *compressRun) (digest v1.Hash, size int64, diffID v1.Hash, err error) {
	f, err := os.OpenFile(spool, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return digest, 0, diffID, fmt.Errorf("spooling: %w", err)
	}
	defer f.Close()
	sum, n := sha256.New(), &countWriter{n: &r.made}
	zw, err := comp.writer(io.MultiWriter(f, sum, n, out))
	if err != nil {
		return digest, 0, diffID, err
	}
	usum := sha256.New()
	in := io.TeeReader(&ctxReader{ctx: ctx, r: src, read: &r.read}, usum)
	if _, err := io.CopyBuffer(zw, in, make([]byte, 256<<10)); err != nil {
		zw.Close()
		return digest, 0, diffID, fmt.Errorf("compressing: %w", err)
	}
	if err := zw.Close(); err != nil {
		return digest, 0, diffID, fmt.Errorf("compressing: %w", err)
	}
	if err := f.Close(); err != nil {
		return digest, 0, diffID, fmt.Errorf("spooling: %w", err)
	}
	return hashOf(sum), n.n.Load(), hashOf(usum), nil
}

func hashOf(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

// lossyWriter writes to w until w fails (the upload gave up on its
// reader), then drops what follows, so the spool is still finished.
type lossyWriter struct {
	w      io.Writer
	failed bool
}

func (w *lossyWriter) Write(p []byte) (int, error) {
	if !w.failed {
		if _, err := w.w.Write(p); err != nil {
			w.failed = true
		}
	}
	return len(p), nil
}

type countWriter struct{ n *atomic.Int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// ctxReader stops reading when ctx ends (an interrupt) and counts.
type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	read *atomic.Int64
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}
