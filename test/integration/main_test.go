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
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/internal/localecr"
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
	vars := map[string]string{"PATH": os.Getenv("PATH"), "TMPDIR": os.TempDir(), "PLUGIN_VERBOSITY": "debug"}
	for k, v := range stack.Env() {
		vars[k] = v
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", "sandbox.sh"), binary, ws, stack.CABundle)
	for k, v := range vars {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("plugin did not finish in 5 minutes; stderr:\n%s", stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
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
