// Package runtime runs the plugin's image where it runs for real: Docker
// Engine (`docker run`), a Harness-style pod step (an addon process that
// starts the plugin as its child) and Drone's docker runner. The image is
// built from the checkout by the plugin itself (in the sandbox) and loaded
// into the engine; every run builds and pushes to the local ECR stand-in on
// loopback, and the tests read the result back from the registry.
//
// Docker Engine must be running (.ci/run installs docker.io and starts
// dockerd). Without it the package fails when KANIKO_ECR_RUNTIME_TESTS is
// "require" (CI), and is skipped otherwise, with a message.
package runtime

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// pluginImage is the name the README's examples use.
const pluginImage = "kaniko-ecr:latest"

var (
	stack    *localecr.Stack
	base     string // a busybox image in the local registry
	repoRoot string
	docker   = "docker"
	tmpDir   string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		docker = "/usr/bin/docker" // Debian's docker.io, the engine's own client
	}
	if out, err := exec.Command(docker, "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("runtime: Docker Engine is not running (%s info: %v: %s); .ci/run installs docker.io and starts dockerd", docker, err, bytes.TrimSpace(out))
		if os.Getenv("KANIKO_ECR_RUNTIME_TESTS") == "require" {
			fmt.Fprintln(os.Stderr, msg)
			return 1
		}
		fmt.Fprintln(os.Stderr, msg, "(skipped: set KANIKO_ECR_RUNTIME_TESTS=require to fail instead)")
		return 0
	}
	// Every checkout's runtime tests tag their image kaniko-ecr:latest on
	// the one engine: one test binary at a time holds it.
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "kaniko-ecr-runtime-image.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		fmt.Fprintln(os.Stderr, "runtime: locking the engine's image tag:", err)
		return 1
	}
	if tmpDir, err = os.MkdirTemp("", "kaniko-ecr-runtime-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmpDir)
	repoRoot, _ = filepath.Abs("../../..")
	if stack, err = localecr.Start(filepath.Join(tmpDir, "ecr")); err != nil {
		fmt.Fprintln(os.Stderr, "starting local ECR:", err)
		return 1
	}
	defer stack.Stop()
	defer stopReference()
	if base, err = stack.PushBase("base/busybox"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	start := time.Now()
	if err := buildImage(); err != nil {
		fmt.Fprintln(os.Stderr, "runtime: building the plugin's image:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "runtime: image %s built by the plugin and loaded in %s\n", pluginImage, time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// buildImage builds the plugin's image from a copy of the checkout, as
// scripts/image.sh does but for this machine's platform only, with the
// plugin itself in the sandbox, into a docker tarball; then loads it into
// the engine as kaniko-ecr:latest. The image trusts the local registry's CA.
func buildImage() error {
	ws := filepath.Join(tmpDir, "src")
	if err := copyCheckout(repoRoot, ws); err != nil {
		return err
	}
	platform := "linux/" + runtime.GOARCH
	env := append(os.Environ(), "PLATFORMS="+platform, "CA_BUNDLE="+stack.CABundle, "VERSION=runtime-test")
	if out, err := command(ws, env, filepath.Join(ws, "scripts/image.sh"), "context"); err != nil {
		return fmt.Errorf("scripts/image.sh context: %v\n%s", err, out)
	}
	stack.API.AddRepository(localecr.Repository{Name: "kaniko-ecr"})
	env = []string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + os.TempDir()}
	for k, v := range stack.Env() {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"PLUGIN_REPO=kaniko-ecr", "PLUGIN_TAGS=latest", "PLUGIN_PLATFORM="+platform,
		"PLUGIN_BUILD_ARGS=TARGETARCH="+runtime.GOARCH+",VERSION=runtime-test",
		"PLUGIN_NO_PUSH=true", "PLUGIN_TAR_PATH=dist/runtime-image.tar",
		"PLUGIN_FORCE=true", "SANDBOX_KANIKO_DIR=/kaniko-build")
	bin := filepath.Join(ws, "dist", "kaniko-ecr-linux-"+runtime.GOARCH)
	if out, err := command(ws, env, filepath.Join(ws, "scripts/sandbox.sh"), bin, ".", stack.CABundle); err != nil {
		return fmt.Errorf("building the image in the sandbox: %v\n%s", err, out)
	}
	out, err := command(ws, nil, docker, "load", "-i", filepath.Join(ws, "dist/runtime-image.tar"))
	if err != nil {
		return fmt.Errorf("docker load: %v\n%s", err, out)
	}
	loaded := stack.Registry.Addr + "/kaniko-ecr:latest"
	if out, err := command(ws, nil, docker, "tag", loaded, pluginImage); err != nil {
		return fmt.Errorf("docker tag: %v\n%s", err, out)
	}
	_, _ = command(ws, nil, docker, "rmi", loaded) // the registry's port changes every run
	return nil
}

// copyCheckout copies the files git knows (as a fresh clone has them,
// with uncommitted edits) to dst.
func copyCheckout(src, dst string) error {
	out, err := exec.Command("git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		fi, err := os.Lstat(filepath.Join(src, f))
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// command runs name in dir; env nil: the test's environment.
func command(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// digestOf reads a tag back from the registry.
func digestOf(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r, opts...)
	if err != nil {
		t.Fatalf("reading %s back: %v", ref, err)
	}
	return desc.Digest.String()
}

// workspace makes a workspace whose Dockerfile builds on the local base
// image: "FROM <base>", a RUN, then extra.
func workspace(t *testing.T, extra string) string {
	t.Helper()
	return workspaceWith(t, "FROM $BASE\nRUN echo built > /built.txt\n"+extra)
}

// workspaceWith makes a workspace with this Dockerfile ($BASE: the local
// base image).
func workspaceWith(t *testing.T, dockerfile string) string {
	t.Helper()
	ws := t.TempDir()
	df := strings.ReplaceAll(dockerfile, "$BASE", base)
	if err := os.WriteFile(filepath.Join(ws, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}
