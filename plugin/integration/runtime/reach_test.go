package runtime

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// Under `docker run` the plugin is the container's PID 1, with Docker's
// default capabilities (no CAP_SYS_PTRACE): the RUN step that tries every
// route to the pipeline's credentials (plugin/integration/testdata/reach,
// shared with the sandboxed test) finds none of them in the pushed image:
// not the static keys, the session token, the base image password, nor
// the registry token, plain or as a docker config encodes them.
func TestRunStepReachesNoCredentialUnderDockerRun(t *testing.T) {
	busybox, err := os.ReadFile(localecr.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	for name, body := range map[string][]byte{"busybox": busybox, "probe.sh": nil, "Dockerfile": nil} {
		if body == nil {
			if body, err = os.ReadFile(filepath.Join("..", "testdata", "reach", name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(ws, name), body, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stack.API.AddRepository(localecr.Repository{Name: "reach/docker"})
	env := map[string]string{
		"PLUGIN_REPO": "reach/docker", "PLUGIN_TAGS": "probe",
		"PLUGIN_ACCESS_KEY": "AKIAREACHDOCKERKEY01", "PLUGIN_SECRET_KEY": "reach-docker-secret-key-0123456789",
		"PLUGIN_SESSION_TOKEN":       "reach-docker-session-token-0123456789",
		"PLUGIN_BASE_IMAGE_REGISTRY": "docker.io", "PLUGIN_BASE_IMAGE_USERNAME": "reach-user",
		"PLUGIN_BASE_IMAGE_PASSWORD": "reach-docker-base-password-0123",
	}
	out, err := dockerRunPlugin(t, ws, env).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(string(out), 30))
	}
	tree := pulledTree(t, stack.Registry.Addr+"/reach/docker:probe")
	if e := tree["found/proc/1.environ.err"]; !strings.Contains(e.body, "Permission denied") {
		t.Errorf("reading the plugin's /proc/1/environ gave %q, want Permission denied", e.body)
	}
	if !strings.Contains(tree["found/self.env"].body, "PATH=") {
		t.Fatalf("the probe did not run: %q", tree["found/self.env"].body)
	}
	auth := func(user, pass string) string { return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)) }
	secrets := map[string]string{
		"the registry token":               stack.Registry.Password,
		"the registry token, encoded":      auth(stack.Registry.User, stack.Registry.Password),
		"the base image password, encoded": auth("reach-user", env["PLUGIN_BASE_IMAGE_PASSWORD"]),
	}
	for _, k := range []string{"PLUGIN_ACCESS_KEY", "PLUGIN_SECRET_KEY", "PLUGIN_SESSION_TOKEN", "PLUGIN_BASE_IMAGE_PASSWORD"} {
		secrets[k] = env[k]
	}
	for path, e := range tree {
		if !strings.HasPrefix(path, "found/") {
			continue
		}
		for what, s := range secrets {
			if strings.Contains(e.body, s) {
				t.Errorf("the RUN step found %s in %s", what, path)
			}
		}
	}
}
