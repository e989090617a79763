package builder

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// watchSnapshots calls fn with the path of every layer tar kaniko has
// written, as soon as kaniko closes it: kaniko's snapshotter writes each
// one as os.CreateTemp(KanikoDir, "") (a name of digits) and closes it
// before it computes the layer's digest, so the push can start compressing
// it while the build goes on. The files are only read. stop ends the watch
// after reporting what was already written.
func watchSnapshots(dir string, fn func(path string)) (stop func(), err error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE); err != nil {
		unix.Close(fd)
		return nil, err
	}
	quit, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		buf := make([]byte, 16<<10)
		for {
			drained := readEvents(fd, buf, dir, fn)
			select {
			case <-quit:
				readEvents(fd, buf, dir, fn) // what was closed before stop
				return
			default:
			}
			if drained {
				unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 100)
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		unix.Close(fd)
	}, nil
}

// readEvents reads what inotify has and reports the snapshot tars; it
// returns true when nothing more is waiting.
func readEvents(fd int, buf []byte, dir string, fn func(string)) (drained bool) {
	n, err := unix.Read(fd, buf)
	if n <= 0 || err != nil {
		return errors.Is(err, unix.EAGAIN) || n <= 0
	}
	for off := 0; off+unix.SizeofInotifyEvent <= n; {
		size := int(binary.NativeEndian.Uint32(buf[off+12:]))
		name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:min(n, off+unix.SizeofInotifyEvent+size)]), "\x00")
		if isSnapshotName(name) {
			fn(filepath.Join(dir, name))
		}
		off += unix.SizeofInotifyEvent + size
	}
	return false
}

// isSnapshotName: os.CreateTemp with an empty pattern names files by
// digits alone.
func isSnapshotName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
