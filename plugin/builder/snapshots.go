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
	// stop wakes the watch through an eventfd, so that it never waits out
	// a poll.
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		buf := make([]byte, 16<<10)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
		for {
			if !readEvents(fd, buf, dir, fn) {
				continue
			}
			fds[0].Revents, fds[1].Revents = 0, 0
			if _, err := unix.Poll(fds, -1); err != nil && !errors.Is(err, unix.EINTR) {
				return
			}
			if fds[1].Revents != 0 {
				for !readEvents(fd, buf, dir, fn) { // what was closed before stop
				}
				return
			}
		}
	}()
	return func() {
		unix.Write(wake, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		<-finished
		unix.Close(fd)
		unix.Close(wake)
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
