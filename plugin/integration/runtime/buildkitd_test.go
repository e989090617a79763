package runtime

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// The engine's BuildKit (v0.8 in Docker 20.10) runs go.mod's Dockerfile
// front end, but its own solver executes the file operations: it ignores
// what that front end asks of a copy that v0.8 did not know (exclude
// patterns, required paths), and it is not what `docker buildx build`
// runs today. So every case is built instead by buildkitd at go.mod's
// BuildKit version (front end and solver alike), from
// KANIKO_ECR_BUILDKIT_BIN (scripts/buildkit.sh), when that is set; without
// it a case with current set is skipped, and the others use the engine.

var (
	bkdOnce sync.Once
	bkdAddr string
	bkdErr  error
)

// currentBuildKit starts buildkitd (the OCI worker, runc) once per test
// run, reaching the reference registry over plain HTTP.
func currentBuildKit(t *testing.T, ref *reference) string {
	t.Helper()
	bin := os.Getenv("KANIKO_ECR_BUILDKIT_BIN")
	if bin == "" {
		t.Skip("KANIKO_ECR_BUILDKIT_BIN (buildkitd and buildctl at go.mod's version, scripts/buildkit.sh) is not set")
	}
	bkdOnce.Do(func() { bkdAddr, bkdErr = startBuildkitd(bin, ref) })
	if bkdErr != nil {
		t.Fatalf("starting buildkitd: %v", bkdErr)
	}
	return bkdAddr
}

func startBuildkitd(bin string, ref *reference) (string, error) {
	dir := filepath.Join(tmpDir, "buildkitd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	cfg := fmt.Sprintf("[worker.oci]\n  enabled = true\n[worker.containerd]\n  enabled = false\n[registry.%q]\n  http = true\n  insecure = true\n", ref.registry)
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(cfg), 0o600); err != nil {
		return "", err
	}
	addr := "unix://" + filepath.Join(dir, "buildkitd.sock")
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(bin, "buildkitd"), "--root", filepath.Join(dir, "root"), "--addr", addr, "--config", filepath.Join(dir, "buildkitd.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	buildkitd = cmd
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if exec.Command(filepath.Join(bin, "buildctl"), "--addr", addr, "debug", "workers").Run() == nil {
			return addr, nil
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "buildkitd.log"))
	return "", fmt.Errorf("buildkitd did not answer within 20s:\n%s", log)
}

// buildkitd is stopped by TestMain's stopReference.
var buildkitd *exec.Cmd

func stopBuildkitd() {
	if buildkitd != nil && buildkitd.Process != nil {
		_ = buildkitd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- buildkitd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = buildkitd.Process.Kill()
			<-done
		}
	}
}

// buildWithCurrentBuildKit is buildWithBuildKit for a current case: the
// build args, the secrets, the SSH agent at sshSock, and a `# syntax=`
// directive read as the front end served on loopback (as the engine's
// build reads it). It runs in its own goroutine: no t.Fatal.
func buildWithCurrentBuildKit(t *testing.T, addr string, ref *reference, ws string, c bkCase, sshSock, out string) (map[string]entry, string, error) {
	args := []string{"--addr", addr, "build", "--no-cache", "--progress=plain", "--frontend", "dockerfile.v0",
		"--local", "context=" + ws, "--local", "dockerfile=" + ws, "--opt", "build-arg:BASE=" + ref.base}
	if _, _, _, ok := parser.DetectSyntax([]byte(c.dockerfile)); ok {
		args = append(args, "--opt", "build-arg:BUILDKIT_SYNTAX="+ref.frontend)
	}
	if sshSock != "" {
		args = append(args, "--ssh", "default="+sshSock)
	}
	for _, kv := range strings.Split(c.buildArgs, ",") {
		if kv != "" {
			args = append(args, "--opt", "build-arg:"+kv)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.secrets)) {
		args = append(args, "--secret", "id="+id+",src="+filepath.Join(ws, "secrets", id))
	}
	args = append(args, "--output", "type=tar,dest="+out)
	start := time.Now()
	log, err := exec.Command(filepath.Join(os.Getenv("KANIKO_ECR_BUILDKIT_BIN"), "buildctl"), args...).CombinedOutput()
	t.Logf("buildkitd: %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		return nil, string(log), err
	}
	tree, err := readTreeFile(out)
	return tree, string(log), err
}
