package listen

import (
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// Close ends the conversations still going on (a handler blocked on its
// connection returns), waits for their handlers and removes the socket.
func TestCloseEndsOpenConversationsAndWaitsForTheirHandlers(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var ended atomic.Bool
	c := Serve(ln, func(conn net.Conn) {
		close(started)
		_, _ = io.Copy(io.Discard, conn) // until the connection is closed
		ended.Store(true)
	})
	client, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not start")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !ended.Load() {
		t.Error("Close returned before the handler did")
	}
	if _, err := net.Dial("unix", sock); err == nil {
		t.Error("the socket still takes connections after Close")
	}
	if err := c.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}
