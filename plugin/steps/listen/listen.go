// Package listen serves a Unix socket's connections for the step server
// and the SSH agent: each in its own goroutine, all ended at once.
package listen

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Conns serves a listener's connections, each in its own goroutine, until
// Close, which also ends the conversations still going on: a command's
// background process keeps neither a step nor an SSH agent alive.
type Conns struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
	open   map[net.Conn]bool
}

// Serve accepts ln's connections and runs handle on each.
func Serve(ln net.Listener, handle func(net.Conn)) *Conns {
	t := &Conns{ln: ln, open: map[net.Conn]bool{}}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for {
			c, err := ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				time.Sleep(10 * time.Millisecond) // e.g. out of descriptors
				continue
			}
			if !t.add(c) {
				c.Close()
				return
			}
			go func() {
				defer t.done(c)
				handle(c)
			}()
		}
	}()
	return t
}

// add tracks c unless close has begun.
func (t *Conns) add(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.open[c] = true
	t.wg.Add(1)
	return true
}

// done closes and forgets a connection whose handler returned.
func (t *Conns) done(c net.Conn) {
	t.mu.Lock()
	delete(t.open, c)
	t.mu.Unlock()
	c.Close()
	t.wg.Done()
}

// Close stops listening (which removes the socket), closes every
// connection and waits for their handlers.
func (t *Conns) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	err := t.ln.Close()
	for c := range t.open {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	return err
}
