package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer answers every connection with what it reads, until EOF.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestPassesBytesThroughBothWays(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echoServer(t), 4*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := make([]byte, 3<<20)
			if _, err := rand.Read(want); err != nil {
				t.Error(err)
				return
			}
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			go func() {
				_, _ = c.Write(want)
				_ = c.(*net.TCPConn).CloseWrite()
			}()
			got, err := io.ReadAll(c)
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes back, want the %d sent", len(got), len(want))
			}
		}()
	}
	wg.Wait()
}

func TestCloseEndsOpenConnections(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echoServer(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(c); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading after Close: %v", err)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, tc := range []struct{ listen, target string }{
		{"0.0.0.0:0", "127.0.0.1:1"},
		{"127.0.0.1:0", "192.0.2.1:443"},
		{"localhost:0", "127.0.0.1:1"},
	} {
		if p, err := Listen(tc.listen, tc.target, time.Millisecond); err == nil {
			p.Close()
			t.Errorf("Listen(%q, %q) succeeded, want an error", tc.listen, tc.target)
		}
	}
}
