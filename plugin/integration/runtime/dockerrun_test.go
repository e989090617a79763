package runtime

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// The README's `docker run` example, as written but for the registry
// address, its CA (in the image under test) and host networking (the
// local ECR listens on loopback), builds and pushes both tags.
func TestReadmeDockerRunBuildsAndPushes(t *testing.T) {
	stack.API.AddRepository(localecr.Repository{Name: "team/app"})
	ws := workspace(t, "")
	words := shellWords(readmeBlock(t, "docker run "), ws)
	var args []string
	for _, w := range words[1:] { // words[0] is "docker"
		if strings.HasPrefix(w, "PLUGIN_REGISTRY=") {
			w = "PLUGIN_REGISTRY=" + stack.Registry.Addr
		}
		args = append(args, w)
	}
	// After "run": loopback, and the local stand-in's AWS endpoints and region.
	extra := []string{"--network", "host", "-e", "AWS_ENDPOINT_URL_ECR", "-e", "AWS_ENDPOINT_URL_STS", "-e", "AWS_REGION"}
	args = append([]string{args[0]}, append(extra, args[1:]...)...)
	t.Logf("%s %s", docker, strings.Join(args, " "))

	cmd := exec.Command(docker, args...)
	cmd.Dir = ws
	cmd.Env = os.Environ()
	for k, v := range stack.Env() {
		if strings.HasPrefix(k, "AWS_") {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	image := stack.Registry.Addr + "/team/app"
	v1, latest := digestOf(t, image+":v1"), digestOf(t, image+":latest")
	if v1 != latest {
		t.Errorf("v1 is %s, latest %s", v1, latest)
	}
	if !strings.Contains(string(out), "digest: "+v1) {
		t.Errorf("the log's summary does not name the pushed digest %s:\n%s", v1, out)
	}
}
