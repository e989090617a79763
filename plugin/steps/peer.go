package steps

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// peerPID is the process that connected c, as the kernel recorded it at
// connect time.
func peerPID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	cerr := raw.Control(func(fd uintptr) {
		cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if err = errors.Join(cerr, err); err != nil {
		return 0, fmt.Errorf("peer credentials: %w", err)
	}
	return int(cred.Pid), nil
}

// verifyPeer is the real peer check: pid runs this very executable, as a
// direct child of this process, with the command line the front end wrote
// for stepFile. A process that execs the helper after connecting would
// pass too; the one-service-per-step rule then makes the genuine step
// fail, so the abuse cannot go unnoticed.
func (s *Server) verifyPeer(pid int, stepFile string) error {
	proc := "/proc/" + strconv.Itoa(pid)
	self, err := os.Stat("/proc/self/exe")
	if err != nil {
		return err
	}
	// Without CAP_SYS_PTRACE, /proc/<pid>/exe of another user's process
	// cannot be read; its command line, checked below, can.
	exe, err := os.Stat(proc + "/exe")
	switch {
	case errors.Is(err, fs.ErrPermission):
	case err != nil:
		return fmt.Errorf("process %d: %w", pid, err)
	case !os.SameFile(self, exe):
		return fmt.Errorf("process %d is not %s", pid, s.exe)
	}
	raw, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return fmt.Errorf("process %d: %w", pid, err)
	}
	args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	// argv[0] may name this executable through a symlink.
	if len(args) > 0 && args[0] != s.exe {
		if fi, err := os.Stat(args[0]); err == nil && os.SameFile(fi, self) {
			args[0] = s.exe
		}
	}
	// A step that ends a stage, or copies from one, carries the build's token as well.
	id := strings.TrimSuffix(filepath.Base(stepFile), ".json")
	if len(args) == 4 && args[3] != "" && slices.Contains([]string{"keep", "pick", "git"}, s.cfg.Steps[id].Kind) {
		args = args[:3]
	}
	if want := []string{s.exe, "step", stepFile}; !slices.Equal(args, want) {
		return fmt.Errorf("process %d runs %q, not %q", pid, args, want)
	}
	ppid, err := parentPID(proc)
	if err != nil {
		return fmt.Errorf("process %d: %w", pid, err)
	}
	if ppid != os.Getpid() {
		return fmt.Errorf("process %d was not started by kaniko (its parent is %d)", pid, ppid)
	}
	return nil
}

// parentPID reads the parent from /proc/<pid>/stat, whose second field,
// the command name in parentheses, may itself hold spaces and ")".
func parentPID(proc string) (int, error) {
	raw, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0, fmt.Errorf("unexpected %s/stat", proc)
	}
	return strconv.Atoi(fields[1])
}

// procInfo reads the environment kaniko gave the peer (the stage's ENV and
// build args) and its working directory (the stage's WORKDIR). Reading
// them as root, rather than taking the client's word, keeps them what
// kaniko set.
func procInfo(pid int) ([]string, string, error) {
	proc := "/proc/" + strconv.Itoa(pid)
	raw, err := os.ReadFile(proc + "/environ")
	if err != nil {
		return nil, "", err
	}
	var env []string
	for _, kv := range strings.Split(string(raw), "\x00") {
		if kv != "" {
			env = append(env, kv)
		}
	}
	cwd, err := os.Readlink(proc + "/cwd")
	return env, cwd, err
}

// inRoot turns a real absolute path into a path of the build root.
func inRoot(root, real string) (string, error) {
	rel, err := filepath.Rel(root, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("working directory %s is outside the build root", real)
	}
	return path.Join("/", filepath.ToSlash(rel)), nil
}
