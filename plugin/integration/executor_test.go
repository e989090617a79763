package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
)

// kanikoModule is where go.mod's kaniko version sits in the module cache
// (its integration Dockerfiles, its LICENSE) and that version.
func kanikoModule(t *testing.T) (dir, version string) {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/chainguard-dev/kaniko")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m github.com/chainguard-dev/kaniko: %v", err)
	}
	dir, version, _ = strings.Cut(strings.TrimSpace(string(out)), " ")
	if dir == "" {
		t.Fatalf("kaniko %s is not in the module cache (go mod download github.com/chainguard-dev/kaniko)", version)
	}
	return dir, version
}

var (
	executorOnce sync.Once
	executorBin  string
	executorErr  error
)

// kanikoExecutor is kaniko's own executor at go.mod's kaniko version,
// built with go.mod's versions of every shared dependency (and its replace
// of go-archive) in a throwaway module, so that only the front end differs
// from the plugin. It is cached where scripts/bench.sh caches it, keyed by
// the kaniko version, the Go version and go.mod and go.sum, so CI builds
// it once.
func kanikoExecutor(t *testing.T, version string) string {
	t.Helper()
	executorOnce.Do(func() { executorBin, executorErr = buildExecutor(t, version) })
	if executorErr != nil {
		t.Fatal(executorErr)
	}
	return executorBin
}

func buildExecutor(t *testing.T, version string) (string, error) {
	h := sha256.New()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	cache = filepath.Join(cache, "kaniko-ecr-bench")
	bin := filepath.Join(cache, fmt.Sprintf("executor-%s-%s-%s", version, runtime.Version(), hex.EncodeToString(h.Sum(nil))[:12]))
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	t.Logf("building kaniko's executor %s into %s (once: later runs use it)", version, bin)
	mod, err := os.MkdirTemp("", "kaniko-executor-module-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(mod)
	for _, f := range []string{"go.mod", "go.sum"} {
		b, _ := os.ReadFile(filepath.Join(repoRoot, f))
		if err := os.WriteFile(filepath.Join(mod, f), b, 0o644); err != nil {
			return "", err
		}
	}
	tools := "//go:build tools\n\npackage tools\n\nimport _ \"github.com/chainguard-dev/kaniko/cmd/executor\"\n"
	if err := os.WriteFile(filepath.Join(mod, "tools.go"), []byte(tools), 0o644); err != nil {
		return "", err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	for _, args := range [][]string{
		{"mod", "edit", "-module", "kaniko-executor-parity"},
		{"mod", "tidy"},
		{"build", "-trimpath", "-ldflags", "-s -w", "-o", tmp, "github.com/chainguard-dev/kaniko/cmd/executor"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building kaniko's executor %s (go %s): %w\n%s", version, strings.Join(args, " "), err, out)
		}
	}
	return bin, os.Rename(tmp, bin)
}

var (
	executorConfigOnce sync.Once
	executorConfigDir  string
	executorConfigErr  error
)

// executorDockerConfig is a docker config directory holding the local
// registry's credentials, for the executor, which reads credentials from
// the docker config only (the plugin writes its own from the ECR token).
func executorDockerConfig(t *testing.T) string {
	t.Helper()
	executorConfigOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kaniko-executor-docker-")
		if err != nil {
			executorConfigErr = err
			return
		}
		c, err := docker.Load(dir)
		if err != nil {
			executorConfigErr = err
			return
		}
		c.SetAuth(stack.Registry.Addr, stack.Registry.User, stack.Registry.Password)
		executorConfigDir, executorConfigErr = dir, c.Write(dir)
	})
	if executorConfigErr != nil {
		t.Fatal(executorConfigErr)
	}
	return executorConfigDir
}

// runExecutor runs kaniko's executor in the sandbox with ws as its
// workspace (/harness), args as its flags and env (KEY=value) passed in.
func runExecutor(t *testing.T, bin, ws string, args, env []string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot, "scripts", "sandbox.sh"), append([]string{bin, ws, stack.CABundle}, args...)...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "TMPDIR=" + os.TempDir(),
		"SANDBOX_BIN_PATH=/kaniko/executor",
		"SANDBOX_BIND=" + executorDockerConfig(t) + ":/kaniko/.docker",
	}, env...)
	r := &running{cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	return r.wait(t, 5*time.Minute)
}
