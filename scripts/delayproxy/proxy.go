// Package delayproxy is a TCP proxy that adds latency, for benchmarks that
// must see the round trips loopback hides. Bytes pass through untouched (TLS
// stays end to end); each chunk is held for the one-way delay in each
// direction, and a new connection waits one round trip before its first
// byte moves, as a TCP handshake would.
package main

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// window bounds the bytes held in one direction of one connection. At a
// 10 ms one-way delay it caps throughput near 1.6 GB/s, far above what a
// registry on this machine serves, so only latency is added.
const window = 16 << 20

// Proxy forwards connections accepted on a loopback address to Target.
type Proxy struct {
	Target string
	Delay  time.Duration // one way; the round trip is twice this

	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

// Listen starts a proxy on addr (a loopback host:port; port 0 picks one)
// that forwards to target, also on loopback, with rtt/2 of delay each way.
func Listen(addr, target string, rtt time.Duration) (*Proxy, error) {
	for _, a := range []string{addr, target} {
		if err := loopback(a); err != nil {
			return nil, err
		}
	}
	if rtt < 0 {
		return nil, fmt.Errorf("negative round trip %s", rtt)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{Target: target, Delay: rtt / 2, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// loopback refuses anything but 127.0.0.0/8 and ::1: the proxy is a test
// tool and must not open the machine to the network.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not a loopback IP", addr)
	}
	return nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting, closes every open connection and waits for all
// goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.done = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			p.handle(c)
		}()
	}
}

func (p *Proxy) handle(client net.Conn) {
	// The handshake round trip a real connection would pay.
	time.Sleep(2 * p.Delay)
	server, err := net.DialTimeout("tcp", p.Target, 10*time.Second)
	if err != nil {
		return
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(server, client) }()
	go func() { defer wg.Done(); p.pipe(client, server) }()
	wg.Wait()
}

type chunk struct {
	b  []byte
	at time.Time
}

// pipe copies src to dst, each chunk leaving Delay after it arrived. When
// src ends, dst's write side is closed so the peer sees EOF; on a write
// error both ends are closed.
func (p *Proxy) pipe(dst, src net.Conn) {
	ch := make(chan chunk, 1024)
	free := make(chan struct{}, 1)
	var held int64
	var mu sync.Mutex
	go func() {
		defer close(ch)
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				for {
					mu.Lock()
					ok := held+int64(n) <= window
					if ok {
						held += int64(n)
					}
					mu.Unlock()
					if ok {
						break
					}
					<-free
				}
				ch <- chunk{append([]byte(nil), buf[:n]...), time.Now().Add(p.Delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	var werr error
	for c := range ch {
		if werr == nil {
			if d := time.Until(c.at); d > 0 {
				time.Sleep(d)
			}
			_, werr = dst.Write(c.b)
			if werr != nil {
				dst.Close()
				src.Close() // unblocks the reader
			}
		}
		mu.Lock()
		held -= int64(len(c.b))
		mu.Unlock()
		select {
		case free <- struct{}{}:
		default:
		}
	}
	if werr == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			dst.Close()
		}
	}
}
