// Package integration runs the real kaniko-ecr binary in the bubblewrap
// sandbox against a real registry (Debian's docker-registry, TLS and basic
// auth) behind the local ECR API. It needs root, bwrap, docker-registry and
// busybox-static; without them it fails, unless -short is given.
package integration

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

var (
	binary    string // the static plugin binary
	stack     *localecr.Stack
	baseImage string
	repoRoot  string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	short := false
	for _, a := range os.Args {
		if a == "-test.short=true" || a == "-test.short" {
			short = true
		}
	}
	if missing := prerequisites(); missing != "" {
		if short {
			fmt.Fprintln(os.Stderr, "integration: skipped in -short mode:", missing)
			return 0
		}
		fmt.Fprintln(os.Stderr, "integration: cannot run:", missing, "(run .ci/run or apt-get install bubblewrap docker-registry busybox-static; as root)")
		return 1
	}
	tmp, err := os.MkdirTemp("", "kaniko-ecr-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	repoRoot, _ = filepath.Abs("../..")
	binary = filepath.Join(tmp, "kaniko-ecr")
	build := exec.Command(filepath.Join(repoRoot, "scripts", "build.sh"), binary)
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "VERSION=it")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		return 1
	}
	stack, err = localecr.Start(filepath.Join(tmp, "ecr"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting local ECR:", err)
		return 1
	}
	defer stack.Stop()
	if baseImage, err = stack.PushBase("base/busybox"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func prerequisites() string {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, p := range []string{"bwrap", localecr.RegistryBinary, localecr.BusyboxPath} {
		if _, err := exec.LookPath(p); err != nil {
			missing = append(missing, p)
		}
	}
	return strings.Join(missing, ", ")
}

// result is one run of the plugin.
type result struct {
	code           int
	stdout, stderr string
}

// runPlugin runs the binary in the sandbox with ws as the workspace, the
// local ECR's environment, and env on top (an empty value unsets).
func runPlugin(t *testing.T, ws string, env map[string]string) result {
	t.Helper()
	return runSandbox(t, ws, env, nil)
}

func runSandbox(t *testing.T, ws string, env map[string]string, extra []string) result {
	t.Helper()
	p := startSandbox(t, ws, env, extra)
	return p.wait(t, 5*time.Minute)
}

// syncBuffer is a bytes.Buffer safe to read while a process writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a plugin run in progress.
type running struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan error
}

// startSandbox starts the plugin in the sandbox. extra holds further
// KEY=value pairs for scripts/sandbox.sh itself (SANDBOX_*).
func startSandbox(t *testing.T, ws string, env map[string]string, extra []string) *running {
	t.Helper()
	vars := map[string]string{"PATH": os.Getenv("PATH"), "TMPDIR": os.TempDir(), "PLUGIN_VERBOSITY": "debug"}
	for k, v := range stack.Env() {
		vars[k] = v
	}
	for k, v := range env {
		vars[k] = v
	}
	ca := stack.CABundle
	if v, ok := vars["SANDBOX_CA"]; ok {
		ca = v
		delete(vars, "SANDBOX_CA")
	}
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", "sandbox.sh"), binary, ws, ca)
	for k, v := range vars {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, extra...)
	r := &running{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	return r
}

func (r *running) wait(t *testing.T, limit time.Duration) result {
	t.Helper()
	var err error
	select {
	case err = <-r.done:
	case <-time.After(limit):
		_ = r.cmd.Process.Kill()
		t.Fatalf("plugin did not finish in %s; stderr:\n%s", limit, r.stderr.String())
	}
	res := result{stdout: r.stdout.String(), stderr: r.stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}

// writeFiles makes a workspace with the given files.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	ws := t.TempDir()
	for name, body := range files {
		p := filepath.Join(ws, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}
