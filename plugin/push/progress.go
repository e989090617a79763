package push

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"
)

// An upload that is still running after progressAfter logs a line, and
// another every progressEvery; one that ends sooner logs nothing.
var (
	progressAfter = 5 * time.Second
	progressEvery = 10 * time.Second
)

// progressLog follows one blob's upload and logs how far it is. It counts
// the bytes itself, as the upload reads them (see counted), rather than
// through go-containerregistry's progress updates: v0.22.1 resets its
// count after a failed upload without synchronisation while the HTTP
// transport may still be reading the failed request's body, a data race
// on every retried upload that was followed.
type progressLog struct {
	what string // "layer sha256:0123456789ab"
	// size gives the blob's size: exact once known, else (while it is
	// still being compressed) extrapolated; ok is false when not known.
	size func() (total int64, exact, ok bool)

	// current counts the bytes the upload under way has read; a retry
	// reads the blob again through a new counter, so the bytes of a
	// failed attempt stop counting.
	current atomic.Pointer[atomic.Int64]
	start   time.Time
	stop    chan struct{}
	done    chan struct{}
	logf    func(format string, args ...any)
}

func newProgressLog(what string, size func() (int64, bool, bool)) *progressLog {
	p := &progressLog{what: what, size: size, start: time.Now(), logf: logrus.Infof,
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// counted is l with its compressed bytes counted by p as they are read.
// A layer to be mounted from another repository stays mountable.
func (p *progressLog) counted(l v1.Layer) v1.Layer {
	if ml, ok := l.(*remote.MountableLayer); ok {
		return &remote.MountableLayer{Layer: &countedLayer{Layer: ml.Layer, log: p}, Reference: ml.Reference}
	}
	return &countedLayer{Layer: l, log: p}
}

// sent is how many bytes the upload under way has read.
func (p *progressLog) sent() int64 {
	if n := p.current.Load(); n != nil {
		return n.Load()
	}
	return 0
}

// countedLayer is a layer whose every Compressed stream is counted: each
// call (a new upload attempt, or the HTTP client's rewind of the body)
// starts a new count, which becomes its log's current one.
type countedLayer struct {
	v1.Layer
	log *progressLog
}

func (l *countedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	c := &countingReader{ReadCloser: rc}
	l.log.current.Store(&c.n)
	return c, nil
}

// countingReader counts what is read through it. The HTTP transport reads
// a request body on a goroutine of its own, hence the atomic count.
type countingReader struct {
	io.ReadCloser
	n atomic.Int64
}

func (r *countingReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.n.Add(int64(n))
	return n, err
}

// run logs on the ticks until the log is closed.
func (p *progressLog) run() {
	defer close(p.done)
	first := time.NewTimer(progressAfter)
	defer first.Stop()
	var tick <-chan time.Time
	var lastSent int64
	lastAt := p.start
	for {
		select {
		case <-first.C:
			t := time.NewTicker(progressEvery)
			defer t.Stop()
			tick = t.C
			lastSent, lastAt = p.line(lastSent, lastAt)
		case <-tick:
			lastSent, lastAt = p.line(lastSent, lastAt)
		case <-p.stop:
			return
		}
	}
}

// line logs "<what>: 96.0 of 190.3 MiB sent, 12.1 MiB/s, about 8s left".
func (p *progressLog) line(lastSent int64, lastAt time.Time) (int64, time.Time) {
	now, sent := time.Now(), p.sent()
	rate := float64(sent-lastSent) / now.Sub(lastAt).Seconds()
	if rate <= 0 {
		rate = float64(sent) / now.Sub(p.start).Seconds()
	}
	total, approx := int64(0), ""
	if t, exact, ok := p.size(); ok {
		total = t
		if !exact {
			approx = "about "
		}
	}
	msg := fmt.Sprintf("%s: %.1f MiB sent", p.what, mib(sent))
	if total > 0 && sent >= total && approx == "" {
		p.logf("%s: all %.1f MiB sent, waiting for the registry to take them", p.what, mib(sent))
		return sent, now
	}
	if total >= sent && total > 0 {
		msg = fmt.Sprintf("%s: %.1f of %s%.1f MiB sent", p.what, mib(sent), approx, mib(total))
	}
	msg += fmt.Sprintf(", %.1f MiB/s", mib(int64(rate)))
	if total > sent && rate > 0 {
		msg += fmt.Sprintf(", about %s left", time.Duration(float64(total-sent)/rate*float64(time.Second)).Round(time.Second))
	}
	p.logf("%s", msg)
	return sent, now
}

// close ends the log once the upload has returned.
func (p *progressLog) close() {
	close(p.stop)
	<-p.done
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
