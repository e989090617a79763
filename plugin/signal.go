package plugin

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// InterruptedError is the cause of a run stopped by SIGINT or SIGTERM.
type InterruptedError struct {
	Signal os.Signal
	Code   int // 130 for SIGINT, 143 for SIGTERM
}

func (e *InterruptedError) Error() string { return fmt.Sprintf("interrupted by %v", e.Signal) }

// exitDeadline bounds how long the process lives after a signal: kaniko's
// DoBuild cannot be cancelled, so the run stops waiting for it instead.
const exitDeadline = 4500 * time.Millisecond

// SignalContext returns a context that ends with an *InterruptedError as
// its cause on the first SIGINT or SIGTERM. If the process has not exited
// exitDeadline later, it exits with the signal's code.
func SignalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig, ok := <-ch
		if !ok {
			return
		}
		ie := &InterruptedError{Signal: sig, Code: 143}
		if sig == syscall.SIGINT {
			ie.Code = 130
		}
		cancel(ie)
		select {
		case <-ch: // a second signal: stop now
		case <-time.After(exitDeadline):
		}
		runExitHooks()
		os.Exit(ie.Code)
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}
