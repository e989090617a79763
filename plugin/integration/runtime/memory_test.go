package runtime

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// dockerRunPlugin runs the plugin's image as the README's `docker run`
// does, on the host network, with the local stand-in's AWS settings, and
// flags (such as --memory) before the image.
func dockerRunPlugin(t *testing.T, ws string, env map[string]string, flags ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"run", "--rm", "--network", "host", "-v", ws + ":/workspace", "-w", "/workspace"}, flags...)
	for k, v := range stack.Env() {
		args = append(args, "-e", k+"="+v)
	}
	for k, v := range env {
		args = append(args, "-e", k+"="+v)
	}
	cmd := exec.Command(docker, append(args, pluginImage)...)
	cmd.Env = os.Environ()
	return cmd
}

// Under Harness's default step limit (--memory=500m) a 300 MiB
// single-file layer and a layer of 20,000 small files each build and push:
// the plugin keeps no layer in memory (kaniko's executor at its defaults
// is OOM-killed on the first; docs/BENCHMARKS.md).
func TestLargeLayersBuildAndPushUnder500MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 300 MiB and 20,000 files")
	}
	for _, tc := range []struct{ name, repo, run string }{
		{"300 MiB file", "mem/big", "RUN head -c 314572800 /dev/urandom > /big.bin\n"},
		{"20000 files", "mem/many", "RUN mkdir /many && seq 1 20000 | awk '{ f = \"/many/\" $1 \".txt\"; print \"file \" $1 > f; close(f) }'\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stack.API.AddRepository(localecr.Repository{Name: tc.repo})
			ws := workspaceWith(t, "FROM $BASE\n"+tc.run)
			out, err := dockerRunPlugin(t, ws, map[string]string{"PLUGIN_REPO": tc.repo, "PLUGIN_TAGS": "v1"}, "--memory=500m").CombinedOutput()
			if err != nil {
				t.Fatalf("%v (exit 137 is the OOM killer)\n%s", err, tail(string(out), 20))
			}
			d := digestOf(t, stack.Registry.Addr+"/"+tc.repo+":v1")
			if !strings.Contains(string(out), "digest: "+d) {
				t.Errorf("the run's summary does not name %s:\n%s", d, tail(string(out), 10))
			}
			t.Logf("%s", tail(string(out), 3))
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
