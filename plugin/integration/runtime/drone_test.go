package runtime

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

var (
	runnerOnce sync.Once
	runnerBin  string
	runnerErr  error
)

// droneRunner builds Drone's docker runner (testdata/drone-runner pins
// v1.8.3) from the Go module proxy, once per test run.
func droneRunner(t *testing.T) string {
	t.Helper()
	runnerOnce.Do(func() {
		runnerBin = filepath.Join(tmpDir, "drone-runner-docker")
		cmd := exec.Command("go", "build", "-o", runnerBin, "github.com/drone-runners/drone-runner-docker")
		cmd.Dir = "testdata/drone-runner"
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			runnerErr = err
			t.Logf("%s", out)
		}
	})
	if runnerErr != nil {
		t.Fatalf("building drone-runner-docker: %v", runnerErr)
	}
	return runnerBin
}

// dronePipeline is a pipeline whose one step is README.md's Drone example,
// with the local registry, the settings that are secrets there given
// directly (exec panics on from_secret), the local stand-in's AWS endpoints
// as the step's environment, host networking, and the local image.
func dronePipeline(t *testing.T) string {
	t.Helper()
	step := readmeBlock(t, "steps:\n  - name: publish\n    image: kaniko-ecr:latest\n    settings:\n      registry:")
	local := stack.Env()
	step = regexp.MustCompile(`registry: \S+`).ReplaceAllString(step, "registry: "+stack.Registry.Addr)
	step = strings.Replace(step, "{ from_secret: aws_access_key_id }", local["AWS_ACCESS_KEY_ID"], 1)
	step = strings.Replace(step, "{ from_secret: aws_secret_access_key }", local["AWS_SECRET_ACCESS_KEY"], 1)
	if strings.Contains(step, "from_secret") {
		t.Fatalf("README's Drone example has more secrets than the test replaces:\n%s", step)
	}
	step = strings.Replace(step, "    settings:\n", "    pull: if-not-exists\n    network_mode: host\n    environment:\n"+
		"      AWS_ENDPOINT_URL_ECR: "+local["AWS_ENDPOINT_URL_ECR"]+"\n"+
		"      AWS_ENDPOINT_URL_STS: "+local["AWS_ENDPOINT_URL_STS"]+"\n"+
		"      PLUGIN_REGION: "+local["AWS_REGION"]+"\n"+
		"    settings:\n", 1)
	return "kind: pipeline\ntype: docker\nname: default\nclone:\n  disable: true\n\n" + step
}

// Drone's own docker runner runs README.md's Drone example under a 500 MiB
// limit: both tags, one computed from ${DRONE_COMMIT_SHA:0:8}, read back
// with one digest, and the step's log carries the Drone card of that push.
func TestDroneRunnerRunsTheReadmeStep(t *testing.T) {
	runner := droneRunner(t)
	stack.API.AddRepository(localecr.Repository{Name: "team/app"})
	stack.API.AddRepository(localecr.Repository{Name: "team/app-cache"})
	ws := workspace(t, "ARG VERSION\nRUN echo $VERSION > /version.txt\n")
	pipeline := dronePipeline(t)
	if err := os.WriteFile(filepath.Join(ws, ".drone.yml"), []byte(pipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	cmd := exec.Command(runner, "exec", "--repo-trusted", "--memory=524288000", "--commit-after="+sha, "--commit-ref=refs/heads/main", "--repo-branch=main", ".drone.yml")
	cmd.Dir = ws
	// The runner sets DRONE_CARD_PATH=/dev/stdout and takes the card out of
	// the log to upload it (exec has nowhere to upload); with cards
	// "disabled" it leaves the line in the log, where this test reads it.
	cmd.Env = append(os.Environ(), "DOCKER_API_VERSION=1.41", "DRONE_FLAG_ENABLE_CARDS=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("drone-runner-docker exec: %v\n%s\n%s", err, pipeline, out)
	}
	image := stack.Registry.Addr + "/team/app"
	latest, bySHA := digestOf(t, image+":latest"), digestOf(t, image+":"+sha[:8])
	if latest != bySHA {
		t.Errorf("latest is %s, %s is %s", latest, sha[:8], bySHA)
	}
	schema, data := droneCard(t, string(out))
	if !strings.HasSuffix(schema, "/docs/card.json") {
		t.Errorf("card schema %q", schema)
	}
	if data["digest"] != latest || data["image"] != image || mustJSON(data["tags"]) != mustJSON([]string{"latest", sha[:8]}) {
		t.Errorf("card data %v, want %s %s with tags latest, %s", data, image, latest, sha[:8])
	}
	if len(data["phases"].([]any)) == 0 || data["sizeBytes"].(float64) <= 0 || len(data["platforms"].([]any)) != 1 {
		t.Errorf("card data %v lacks phases, size or platform", data)
	}
}

// droneCard extracts a Drone card from a log as runner-go's extractor
// does: ESC]1338; base64(JSON) ESC]0m.
func droneCard(t *testing.T, log string) (schema string, data map[string]any) {
	t.Helper()
	m := regexp.MustCompile("\x1b]1338;(.*?)\x1b]0m").FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no Drone card in the runner's output:\n%s", log)
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	var card struct {
		Schema string         `json:"schema"`
		Data   map[string]any `json:"data"`
	}
	if err := json.Unmarshal(raw, &card); err != nil {
		t.Fatal(err)
	}
	return card.Schema, card.Data
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
