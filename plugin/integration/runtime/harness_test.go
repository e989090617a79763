package runtime

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

var (
	addonOnce sync.Once
	addonBin  string
	addonErr  error
)

// addon builds the Harness-style addon (./addon), static, once.
func addon(t *testing.T) string {
	t.Helper()
	addonOnce.Do(func() {
		addonBin = filepath.Join(tmpDir, "addon-bin", "addon")
		cmd := exec.Command("go", "build", "-trimpath", "-o", addonBin, "./addon")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			addonErr = err
			t.Logf("%s", out)
		}
	})
	if addonErr != nil {
		t.Fatalf("building the addon: %v", addonErr)
	}
	return addonBin
}

// addonReport is what the addon read back after the step.
type addonReport struct {
	ExitCode int `json:"exitCode"`
	Artifact *struct {
		Kind string `json:"kind"`
		Data struct {
			RegistryType string `json:"registryType"`
			RegistryURL  string `json:"registryUrl"`
			Images       []struct{ Image, Digest string }
		} `json:"data"`
	} `json:"artifact"`
	Outputs map[string]string `json:"outputs"`
	Errors  []string          `json:"errors"`
}

// harnessStep runs the plugin's image as Harness runs a step: the addon is
// the entrypoint, the workspace is /harness, /addon is the step's shared
// volume, and the memory limit is Harness's default. env is what the
// addon's child gets (the addon adds the artifact file and DRONE_OUTPUT).
// It returns the container and the addon's report once started.
func harnessStep(t *testing.T, ws string, env map[string]string, extra ...string) *exec.Cmd {
	t.Helper()
	addonDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(addonDir, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--rm", "--network", "host", "--memory=500m",
		"-v", ws + ":/harness", "-v", addonDir + ":/addon", "-v", addon(t) + ":/addon-bin/addon:ro",
		"-w", "/harness", "--entrypoint", "/addon-bin/addon"}
	args = append(args, extra...)
	for k, v := range env {
		args = append(args, "-e", k+"="+v)
	}
	return exec.Command(docker, append(args, pluginImage)...)
}

func parseReport(t *testing.T, out string) addonReport {
	t.Helper()
	_, line, ok := strings.Cut(out, "addon-report ")
	if !ok {
		t.Fatalf("the addon printed no report:\n%s", out)
	}
	line, _, _ = strings.Cut(line, "\n")
	var rep addonReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		t.Fatalf("report %q: %v", line, err)
	}
	return rep
}

// harnessEnv is the step's environment from README.md's table, with the
// local stand-in's registry, region and keys in place of the examples.
func harnessEnv(t *testing.T) map[string]string {
	t.Helper()
	local := stack.Env()
	env := map[string]string{}
	for _, row := range readmeTable(t, "<!-- harness-step-env:") {
		k, v := row["Variable"], row["Example"]
		switch k {
		case "PLUGIN_REGISTRY":
			v = stack.Registry.Addr
		case "PLUGIN_REGION":
			v = local["AWS_REGION"]
		case "PLUGIN_ACCESS_KEY":
			v = local["AWS_ACCESS_KEY_ID"]
		case "PLUGIN_SECRET_KEY":
			v = local["AWS_SECRET_ACCESS_KEY"]
		case "PLUGIN_ARTIFACT_FILE", "DRONE_OUTPUT":
			// Set by the addon; the README must say where.
			want := map[string]string{"PLUGIN_ARTIFACT_FILE": "/addon/tmp/.plugin/artifact", "DRONE_OUTPUT": "/addon/tmp/build-output.env"}[k]
			if v != want {
				t.Errorf("README.md's Harness table: %s is %q, the addon sets %q", k, v, want)
			}
			continue
		}
		env[k] = v
	}
	env["AWS_ENDPOINT_URL_ECR"] = local["AWS_ENDPOINT_URL_ECR"]
	env["AWS_ENDPOINT_URL_STS"] = local["AWS_ENDPOINT_URL_STS"]
	return env
}

// A Harness-style pod step: the addon starts the plugin in /harness with
// the variables of README.md's table under a 500 MiB limit, then reads
// the artifact file (docker/v1) and the outputs (godotenv) back; both
// name the digest that the registry holds under every tag.
func TestHarnessStyleStepWritesWhatTheAddonReadsBack(t *testing.T) {
	env := harnessEnv(t)
	stack.API.AddRepository(localecr.Repository{Name: env["PLUGIN_REPO"]})
	stack.API.AddRepository(localecr.Repository{Name: env["PLUGIN_CACHE_REPO"]})
	ws := workspaceWith(t, "FROM $BASE AS build\nARG GREETING\nRUN printf '%s' \"$GREETING\" > /greeting.txt\nFROM build AS final\n")

	out, err := harnessStep(t, ws, env).CombinedOutput()
	rep := parseReport(t, string(out))
	if err != nil || rep.ExitCode != 0 || len(rep.Errors) > 0 {
		t.Fatalf("step: %v, report %+v\n%s", err, rep, out)
	}
	image := stack.Registry.Addr + "/" + env["PLUGIN_REPO"]
	tags := strings.Split(env["PLUGIN_TAGS"], ",")
	digest := digestOf(t, image+":"+tags[0])
	if rep.Artifact == nil || rep.Artifact.Kind != "docker/v1" || rep.Artifact.Data.RegistryType != "ECR" || rep.Artifact.Data.RegistryURL != stack.Registry.Addr {
		t.Fatalf("artifact %+v", rep.Artifact)
	}
	if len(rep.Artifact.Data.Images) != len(tags) {
		t.Fatalf("artifact images %+v, want one per tag %v", rep.Artifact.Data.Images, tags)
	}
	for i, im := range rep.Artifact.Data.Images {
		if im.Image != env["PLUGIN_REPO"]+":"+tags[i] || im.Digest != digestOf(t, image+":"+tags[i]) {
			t.Errorf("artifact image %d = %+v, registry has %s", i, im, digestOf(t, image+":"+tags[i]))
		}
	}
	want := map[string]string{"digest": digest, "image": image + "@" + digest, "tags": env["PLUGIN_TAGS"]}
	for k, v := range want {
		if rep.Outputs[k] != v {
			t.Errorf("output %s = %q, want %q", k, rep.Outputs[k], v)
		}
	}
	if !strings.Contains(string(out), "memory limit: 500.0 MiB") {
		t.Errorf("the plugin did not see the step's 500 MiB limit:\n%s", out)
	}
	if !strings.Contains(string(out), "using PLUGIN_BUILD_ARGS_NEW") {
		t.Errorf("no warning that PLUGIN_BUILD_ARGS_NEW was used:\n%s", out)
	}
}
