package steps

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
)

// kaniko starts the test binary as `kaniko-ecr step <file>` the way kaniko
// would: a direct child, in its own process group, in the working
// directory with the stage's environment. The server check is the real one.
func (f *fixture) kaniko(role, file string, env ...string) *exec.Cmd {
	f.t.Helper()
	exe, err := os.Executable()
	if err != nil {
		f.t.Fatal(err)
	}
	args := []string{"step", file}
	if role == "impostor" {
		args = append(args, "extra")
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = f.work
	cmd.Env = append([]string{roleEnv + "=" + role, "PATH=" + os.Getenv("PATH")}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// realPeer makes the fixture's server check and read peers for real.
func (f *fixture) realPeer() {
	f.cfg.Peer, f.cfg.proc = nil, nil
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

func TestMainRunsTheCommandWithItsMountsAndReturnsItsStatus(t *testing.T) {
	f := newFixture(t)
	f.realPeer()
	mustWrite(t, filepath.Join(f.ctx, "src.txt"), "from the context\n", 0o644)
	mustWrite(t, filepath.Join(f.work, "image.txt"), "hidden\n", 0o644)
	out := filepath.Join(f.base, "out")
	script := `{ cat "$ROOT/run/secrets/tok"; echo; echo "$TOKEN"; pwd; cat src.txt; ls; } > "$OUT"; exit 3`
	file := f.add("s", dockerfile.Step{
		Line: 7,
		Args: []string{"sh", "-c", script},
		Mounts: []dockerfile.Mount{
			{Type: "secret", ID: "tok", Target: "${SECRETS}/tok"},
			{Type: "secret", ID: "tok", Env: "TOKEN"},
			{Type: "bind", Target: "."}, // the working directory itself
		},
	})
	f.age()
	before := f.snapshot()
	f.start()
	cmd := f.kaniko("client", file, "ROOT="+f.root, "SECRETS=/run/secrets", "OUT="+out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if code := exitCode(t, cmd.Run()); code != 3 {
		t.Errorf("exit status %d, want 3; stderr: %s", code, stderr.String())
	}
	want := "s3cr3t-value\ns3cr3t-value\n" + f.work + "\nfrom the context\nsrc.txt\n"
	if got := mustRead(t, out); got != want {
		t.Errorf("the command wrote %q, want %q", got, want)
	}
	f.same(before)
}

func TestMainCreatesCopyHeredocsExpandedFromKanikosEnvironment(t *testing.T) {
	f := newFixture(t)
	f.realPeer()
	file := f.add("s", dockerfile.Step{Kind: "copy", Dest: "greeting", Heredocs: []dockerfile.Heredoc{{Name: "EOF", Data: "hello $WHO\n", Expand: true}}})
	f.start()
	cmd := f.kaniko("client", file, "WHO=kaniko")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := mustRead(t, filepath.Join(f.work, "greeting")); got != "hello kaniko\n" {
		t.Errorf("wrote %q", got)
	}
}

func TestMainNamesTheDockerfileLineOfAStepThatCannotBeSetUp(t *testing.T) {
	f := newFixture(t)
	f.realPeer()
	file := f.add("s", dockerfile.Step{Line: 14, Args: []string{"true"}, Mounts: []dockerfile.Mount{{Type: "secret", ID: "absent", Required: true, Target: "/x"}}})
	f.start()
	var stderr bytes.Buffer
	cmd := f.kaniko("client", file)
	cmd.Stderr = &stderr
	if code := exitCode(t, cmd.Run()); code != 1 {
		t.Errorf("exit status %d", code)
	}
	if got, want := stderr.String(), "Dockerfile:14: secret \"absent\" is required but was not given\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

func TestMainIsRefusedWithACommandLineKanikoNeverRuns(t *testing.T) {
	f := newFixture(t)
	f.realPeer()
	file := f.add("s", dockerfile.Step{Line: 3, Args: []string{"true"}, Mounts: []dockerfile.Mount{{Type: "secret", ID: "tok", Target: "/run/secrets/tok"}}})
	f.start()
	var stderr bytes.Buffer
	cmd := f.kaniko("impostor", file)
	cmd.Stderr = &stderr
	if code := exitCode(t, cmd.Run()); code != 1 || !strings.HasPrefix(stderr.String(), "Dockerfile:3: refused: ") {
		t.Errorf("exit status %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Lstat(f.in("/run")); !os.IsNotExist(err) {
		t.Errorf("an impostor got the secret set up: %v", err)
	}
	// The genuine client is still served.
	if out, err := f.kaniko("client", file).CombinedOutput(); err != nil {
		t.Errorf("%v: %s", err, out)
	}
}

func TestMainForwardsSIGTERMAndReportsTheSignal(t *testing.T) {
	f := newFixture(t)
	f.realPeer()
	mark := filepath.Join(f.base, "started")
	file := f.add("s", dockerfile.Step{Args: []string{"/bin/sh", "-c", `touch "$MARK"; exec sleep 60`}, Mounts: []dockerfile.Mount{{Type: "tmpfs", Target: "/t"}}})
	f.start()
	cmd := f.kaniko("client", file, "MARK="+mark)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the command starts", func() bool {
		_, err := os.Stat(mark)
		return err == nil
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd.Wait()); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit status %d, want %d", code, 128+int(syscall.SIGTERM))
	}
	if _, err := os.Lstat(f.in("/t")); !os.IsNotExist(err) {
		t.Errorf("tmpfs left behind: %v", err)
	}
}
