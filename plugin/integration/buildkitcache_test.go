package integration

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The cache matrix against BuildKit itself: buildkitd with the OCI worker,
// its registry cache (mode=max) in the same local registry, every build
// after a prune of everything buildkitd holds (a cold local state, as in a
// fresh CI pod). It needs buildkitd and buildctl at go.mod's buildkit
// version (CONTRACT.md §5 says how to build them offline) in the directory
// KANIKO_ECR_BUILDKIT_BIN, and runc; without them it is skipped, since
// building them takes minutes.
func TestCacheMatrixMatchesBuildKitsOwnCache(t *testing.T) {
	bin := os.Getenv("KANIKO_ECR_BUILDKIT_BIN")
	if bin == "" {
		t.Skip("KANIKO_ECR_BUILDKIT_BIN (a directory with buildkitd and buildctl) is not set")
	}
	bk := startBuildkitd(t, bin)
	warm := bk.build(t, "bk-warm", cacheFiles(), nil, "")
	if len(warm.hits) == 0 || warm.digest == "" {
		t.Fatalf("warming BuildKit's cache: no steps or no digest\n%s", warm.log)
	}
	same := bk.build(t, "bk-same", cacheFiles(), nil, "warm")
	if same.digest != warm.digest {
		t.Errorf("BuildKit's unchanged rebuild: digest %s, want %s", same.digest, warm.digest)
	}
	for i, tc := range cacheCases() {
		t.Run(tc.name, func(t *testing.T) {
			files, env := cacheFiles(), map[string]string{"PLUGIN_BUILD_ARGS": ""}
			tc.change(files, env)
			var args []string
			for _, a := range strings.Split(env["PLUGIN_BUILD_ARGS"], ",") {
				if a != "" {
					args = append(args, a)
				}
			}
			got := bk.build(t, fmt.Sprintf("bk-case%d", i), files, args, "warm")
			if !slices.Equal(got.hits, tc.buildkit) {
				t.Errorf("BuildKit's cache hits per stage %v, want %v\n%s", got.hits, tc.buildkit, got.log)
			}
		})
	}
}

type buildkitd struct {
	bin, addr, dockerConfig string
}

func startBuildkitd(t *testing.T, bin string) *buildkitd {
	t.Helper()
	dir, err := os.MkdirTemp("", "kaniko-ecr-buildkitd-")
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("[worker.oci]\n  enabled = true\n  snapshotter = \"overlayfs\"\n[worker.containerd]\n  enabled = false\n[registry.%q]\n  http = false\n  ca = [%q]\n", stack.Registry.Addr, stack.Registry.CAFile)
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(stack.Registry.User + ":" + stack.Registry.Password))
	conf, _ := json.Marshal(map[string]any{"auths": map[string]any{stack.Registry.Addr: map[string]string{"auth": auth}}})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	bk := &buildkitd{bin: bin, addr: "unix://" + filepath.Join(dir, "buildkitd.sock"), dockerConfig: dir}
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "buildkitd"), "--root", filepath.Join(dir, "root"), "--addr", bk.addr, "--config", filepath.Join(dir, "buildkitd.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		_ = os.RemoveAll(dir)
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if exec.Command(filepath.Join(bin, "buildctl"), "--addr", bk.addr, "debug", "workers").Run() == nil {
			return bk
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "buildkitd.log"))
			t.Fatalf("buildkitd did not answer within 15s:\n%s", log)
		}
	}
}

type bkResult struct {
	hits   []int // per stage of cacheDockerfile
	digest string
	log    string
}

var (
	bkStep   = regexp.MustCompile(`(?m)^(#\d+) \[(build|stage-1) \d+/\d+\] (\S+)`)
	bkHit    = regexp.MustCompile(`(?m)^(#\d+) (CACHED|extracting sha256)`)
	bkDigest = regexp.MustCompile(`exporting manifest (sha256:[0-9a-f]{64})`)
)

// build builds files with BuildKit from a cold local state, importing the
// registry cache that the build named from exported (if any) and exporting
// its own under name. A step came from the cache when BuildKit says CACHED
// or loads its layer from the registry cache instead of running it.
func (bk *buildkitd) build(t *testing.T, name string, files map[string]string, args []string, from string) bkResult {
	t.Helper()
	ws := writeCacheFiles(t, files)
	ctl := func(a ...string) (string, error) {
		cmd := exec.Command(filepath.Join(bk.bin, "buildctl"), append([]string{"--addr", bk.addr}, a...)...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+bk.dockerConfig)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := ctl("prune", "--all"); err != nil {
		t.Fatalf("buildctl prune: %v\n%s", err, out)
	}
	reg := stack.Registry.Addr + "/team/buildkit"
	a := []string{"build", "--frontend", "dockerfile.v0", "--local", "context=" + ws, "--local", "dockerfile=" + ws,
		"--opt", "build-arg:BASE=" + baseImage, "--secret", "id=tok,src=" + filepath.Join(ws, "secret.txt"),
		"--output", "type=image,name=" + reg + ":" + name + ",push=true",
		"--export-cache", "type=registry,ref=" + reg + "-cache:" + name + ",mode=max", "--progress", "plain"}
	if from != "" {
		a = append(a, "--import-cache", "type=registry,ref="+reg+"-cache:bk-"+from)
	}
	for _, arg := range args {
		a = append(a, "--opt", "build-arg:"+arg)
	}
	out, err := ctl(a...)
	if err != nil {
		t.Fatalf("buildctl build: %v\n%s", err, out)
	}
	res := bkResult{hits: make([]int, len(cacheStageSteps)), log: out}
	hit := map[string]bool{}
	for _, m := range bkHit.FindAllStringSubmatch(out, -1) {
		hit[m[1]] = true
	}
	seen := map[string]bool{}
	for _, m := range bkStep.FindAllStringSubmatch(out, -1) {
		if seen[m[1]] || m[3] == "FROM" {
			continue
		}
		seen[m[1]] = true
		s := 0
		if m[2] == "stage-1" {
			s = 1
		}
		// A step after a miss misses too: the hits of a stage are the
		// steps before its first miss, as kaniko's log gives them.
		if hit[m[1]] {
			res.hits[s]++
		}
	}
	if m := bkDigest.FindStringSubmatch(out); m != nil {
		res.digest = m[1]
	}
	return res
}
