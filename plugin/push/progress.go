package push

import (
	"fmt"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"
)

// An upload that is still running after progressAfter logs a line, and
// another every progressEvery; one that ends sooner logs nothing.
var (
	progressAfter = 5 * time.Second
	progressEvery = 10 * time.Second
)

// progressLog follows one blob's upload through go-containerregistry's
// progress updates and logs how far it is.
type progressLog struct {
	what string // "layer sha256:0123456789ab"
	// estimate, when set, gives the blob's size while it is still being
	// compressed: exact once known, else extrapolated.
	estimate func() (total int64, exact, ok bool)

	sent    atomic.Int64
	start   time.Time
	updates chan v1.Update
	stop    chan struct{}
	done    chan struct{}
	known   atomic.Int64 // the total go-containerregistry knows, 0 until known
	logf    func(format string, args ...any)
}

func newProgressLog(what string, estimate func() (int64, bool, bool)) *progressLog {
	p := &progressLog{what: what, estimate: estimate, start: time.Now(), logf: logrus.Infof,
		updates: make(chan v1.Update, 64), stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// run drains the updates (go-containerregistry sends one per read and
// waits for it to be taken) and logs on the ticks.
func (p *progressLog) run() {
	defer close(p.done)
	first := time.NewTimer(progressAfter)
	defer first.Stop()
	var tick <-chan time.Time
	var lastSent int64
	lastAt := p.start
	for {
		select {
		case u := <-p.updates:
			if u.Error == nil {
				p.sent.Store(u.Complete)
				p.known.Store(u.Total)
			}
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
	now, sent := time.Now(), p.sent.Load()
	rate := float64(sent-lastSent) / now.Sub(lastAt).Seconds()
	if rate <= 0 {
		rate = float64(sent) / now.Sub(p.start).Seconds()
	}
	total, approx := p.known.Load(), ""
	if p.estimate != nil {
		if t, exact, ok := p.estimate(); ok {
			total = t
			if !exact {
				approx = "about "
			}
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
