package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Named image contexts against BuildKit itself: buildkitd (go.mod's
// version) builds the Dockerfile with buildctl's --opt
// context:<name>=docker-image://<ref>, the plugin with
// PLUGIN_BUILD_CONTEXTS, both from the same registry; the two images'
// file trees (type, mode, owner, content, link) must be identical. It
// needs KANIKO_ECR_BUILDKIT_BIN (scripts/buildkit.sh) and runc.
func TestNamedImageContextsBuildWhatBuildKitBuilds(t *testing.T) {
	bin := os.Getenv("KANIKO_ECR_BUILDKIT_BIN")
	if bin == "" {
		t.Skip("KANIKO_ECR_BUILDKIT_BIN (a directory with buildkitd and buildctl) is not set")
	}
	const repo = "it/contexts-bk"
	addRepos(repo)
	tools := stack.Registry.Addr + "/ctx/bk-tools:1"
	pushMarker(t, tools, "v1\n")
	ctxs := map[string]string{"base": tools, "tools": tools, "helper": tools, "busybox": tools}
	dockerfile := contextsDockerfile + "COPY --from=docker.io/library/busybox:latest /marker.txt /hub-name.txt\n"
	ws := writeFiles(t, map[string]string{"Dockerfile": dockerfile})

	var items []string
	for k, v := range ctxs {
		items = append(items, k+"=docker-image://"+v)
	}
	sort.Strings(items)
	env := contextsEnv(repo, tools)
	env["PLUGIN_BUILD_CONTEXTS"] = strings.Join(items, ",")
	if r := runPlugin(t, ws, env); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}

	bk := startBuildkitd(t, bin)
	bkRef := stack.Registry.Addr + "/" + repo + ":buildkit"
	args := []string{"--addr", bk.addr, "build", "--frontend", "dockerfile.v0", "--local", "context=" + ws, "--local", "dockerfile=" + ws,
		"--output", "type=image,name=" + bkRef + ",push=true", "--progress", "plain"}
	for k, v := range ctxs {
		args = append(args, "--opt", "context:"+k+"=docker-image://"+v)
	}
	cmd := exec.Command(filepath.Join(bin, "buildctl"), args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+bk.dockerConfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl build: %v\n%s", err, out)
	}

	ours, theirs := imageFiles(t, stack.Registry.Addr+"/"+repo+":latest"), imageFiles(t, bkRef)
	compareTrees(t, ours, theirs)
	if theirs["hub-name.txt"] == "" || theirs["helper.txt"] == "" {
		t.Errorf("BuildKit's image lacks the files the contexts supply: %v", theirs)
	}
}

func unionKeys(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// Directory contexts against BuildKit itself: buildctl's --local <name>=<dir>
// with --opt context:<name>=local:<name>, the plugin with name=path.
func TestNamedDirectoryContextsBuildWhatBuildKitBuilds(t *testing.T) {
	bin := os.Getenv("KANIKO_ECR_BUILDKIT_BIN")
	if bin == "" {
		t.Skip("KANIKO_ECR_BUILDKIT_BIN (a directory with buildkitd and buildctl) is not set")
	}
	const repo = "it/contexts-dir-bk"
	addRepos(repo)
	files := dirContextFiles()
	files["libs/shared/lib/sub/deep.txt"] = "deep\n"
	files["libs/shared/lib/link"] = "symlink:a.txt"
	ws := writeCacheFiles(t, files)
	if err := os.Chmod(filepath.Join(ws, "libs/shared/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := runPlugin(t, ws, dirContextEnv(repo)); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}

	bk := startBuildkitd(t, bin)
	bkRef := stack.Registry.Addr + "/" + repo + ":buildkit"
	args := []string{"--addr", bk.addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context=" + filepath.Join(ws, "app"), "--local", "dockerfile=" + filepath.Join(ws, "app"),
		"--local", "shared=" + filepath.Join(ws, "libs/shared"), "--opt", "context:shared=local:shared",
		"--local", "helper=" + filepath.Join(ws, "libs/helper"), "--opt", "context:helper=local:helper",
		"--opt", "build-arg:BASE=" + baseImage,
		"--output", "type=image,name=" + bkRef + ",push=true", "--progress", "plain"}
	cmd := exec.Command(filepath.Join(bin, "buildctl"), args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+bk.dockerConfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl build: %v\n%s", err, out)
	}
	compareTrees(t, imageFiles(t, stack.Registry.Addr+"/"+repo+":latest"), imageFiles(t, bkRef))
}

// compareTrees fails for every path whose entry differs between the
// plugin's image and BuildKit's.
func compareTrees(t *testing.T, ours, theirs map[string]string) {
	t.Helper()
	for p := range unionKeys(ours, theirs) {
		// BuildKit's runc leaves the mount points of /dev, /proc and /sys
		// of a RUN; the root directory's own entry is kaniko's layer's.
		stub := (p == "dev" || p == "proc" || p == "sys") && ours[p] == "" && strings.HasPrefix(theirs[p], "5 ")
		if ours[p] != theirs[p] && !stub && p != "/" {
			t.Errorf("/%s: BuildKit %q, kaniko-ecr %q", p, theirs[p], ours[p])
		}
	}
}
