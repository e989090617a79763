package steps

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
)

// setUp is a step with one mount of each kind that needs nothing given.
var setUp = dockerfile.Step{Mounts: []dockerfile.Mount{
	{Type: "secret", ID: "tok", Target: "/run/secrets/tok"},
	{Type: "tmpfs", Target: "/tmp"},
	{Type: "cache", ID: "c", Target: "/var/cache/apt"},
}}

func TestClientThatDisconnectsWithoutDoneIsCleanedUpAtOnce(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", setUp)
	f.age()
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(file)
	if _, err := os.Stat(f.in("/run/secrets/tok")); err != nil {
		t.Fatal(err)
	}
	c.close()
	// Cleaning up ends with the directory times: wait for all of it.
	eventually(t, "the step is cleaned up", func() bool {
		if _, err := os.Lstat(f.in("/run")); !os.IsNotExist(err) {
			return false
		}
		for p := range before {
			if fi, err := os.Lstat(f.in("/" + p)); err != nil || fi.IsDir() && !fi.ModTime().Equal(old) {
				return false
			}
		}
		return true
	})
	f.same(before)
}

func TestCloseTakesDownStepsStillSetUp(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", setUp)
	f.age()
	before := f.snapshot()
	s := f.start()
	c, _ := f.prepare(file)
	defer c.close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
	if _, err := os.Lstat(filepath.Join(f.dir, "steps.sock")); !os.IsNotExist(err) {
		t.Errorf("socket left behind: %v", err)
	}
	if err := c.finish(); err == nil {
		t.Error("a closed server confirmed a clean-up")
	}
}

func TestAStepIsServedOnlyOncePerServer(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", dockerfile.Step{})
	f.start()
	c, _ := f.prepare(file)
	if _, _, err := dial(file); err == nil || !strings.Contains(err.Error(), "already run") {
		t.Errorf("second client: %v", err)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dial(file); err == nil {
		t.Error("served again after it finished")
	}
}

func TestServerRefusesUnknownStepFilesAndRejectedPeers(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", dockerfile.Step{})
	f.add("p", dockerfile.Step{})
	var asked string
	f.cfg.Peer = func(pid int, stepFile string) error {
		asked = stepFile
		if pid != os.Getpid() {
			t.Errorf("peer pid %d, want %d", pid, os.Getpid())
		}
		return errors.New("not kaniko's child")
	}
	f.start()
	for _, bad := range []string{
		filepath.Join(f.dir, "steps", "unknown.json"),
		f.dir + "/steps/../steps/s.json",
		f.dir + "/steps//s.json",
	} {
		if _, _, err := dial(bad); err == nil || !strings.Contains(err.Error(), "not a step file") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, _, err := dial(file); err == nil || !strings.Contains(err.Error(), "refused: not kaniko's child") {
		t.Errorf("rejected peer: %v", err)
	}
	if asked != file {
		t.Errorf("Peer was asked about %q", asked)
	}
}

// waiter starts the test binary, or another program, with argv and
// returns its pid.
func waiter(t *testing.T, setpgid bool, argv ...string) int {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), roleEnv+"=wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: setpgid}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// Start returns during execve, before the new command line is there.
	eventually(t, "the command line is set", func() bool {
		raw, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
		return len(raw) > 0
	})
	return cmd.Process.Pid
}

func TestRealPeerCheckAcceptsOnlyKanikosExactCommandLine(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", dockerfile.Step{})
	keep := f.add("k", dockerfile.Step{Kind: "keep", Keep: []string{"/out"}})
	s := f.start()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(f.base, "kaniko-ecr")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	for _, argv0 := range []string{exe, link} {
		if err := s.verifyPeer(waiter(t, true, argv0, "step", file), file); err != nil {
			t.Errorf("the genuine command line was refused: %v", err)
		}
	}
	// The step that ends a stage carries the build's token.
	if err := s.verifyPeer(waiter(t, true, exe, "step", keep, "token"), keep); err != nil {
		t.Errorf("a keep step with its token was refused: %v", err)
	}
	if err := s.verifyPeer(waiter(t, true, exe, "step", keep, "token", "x"), keep); err == nil {
		t.Error("a keep step with two extra arguments was accepted")
	}
	for name, argv := range map[string][]string{
		"other step file": {exe, "step", filepath.Join(f.dir, "steps", "t.json")},
		"extra argument":  {exe, "step", file, "x"},
		"other program":   {"/bin/sh", "-c", "sleep 60", exe, "step", file},
	} {
		if err := s.verifyPeer(waiter(t, true, argv...), file); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The helper started by a RUN's command rather than by kaniko: the
	// trailing ":" keeps the shell from exec'ing it in its own place.
	sh := waiter(t, true, "/bin/sh", "-c", `"$0" step "$1" & wait; :`, exe, file)
	var child int
	eventually(t, "the shell starts the helper", func() bool {
		child = childOf(t, sh)
		return child != 0
	})
	eventually(t, "the helper is exec'd", func() bool {
		raw, _ := os.ReadFile("/proc/" + strconv.Itoa(child) + "/cmdline")
		return strings.HasPrefix(string(raw), exe+"\x00")
	})
	if err := s.verifyPeer(child, file); err == nil || !strings.Contains(err.Error(), "not started by kaniko") {
		t.Errorf("grandchild: %v", err)
	}
}

// childOf finds a child process of ppid, or 0.
func childOf(t *testing.T, ppid int) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := parentPID("/proc/" + e.Name()); err == nil && p == ppid {
			return pid
		}
	}
	return 0
}
