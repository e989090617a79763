package integration

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// A pipeline written for plugins/kaniko-ecr runs unchanged: Harness's two
// build arg lists with PLUGIN_MULTIPLE_BUILD_ARGS (a value with a comma
// stays whole, and no bogus arg appears), PLUGIN_IGNORE_PATH,
// PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE and PLUGIN_OCI_LAYOUT_PATH, in a
// real build read back from the registry.
func TestPluginsKanikoECRSettingsBuildAndPushForReal(t *testing.T) {
	addRepos("team/dropin")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nARG GREETING\nARG world\n" +
		`RUN printf '%s' "$GREETING" > /greeting.txt && printf '[%s]' "${world-unset}" > /world.txt` + "\n" +
		"RUN mkdir -p /scratchpad && echo x > /scratchpad/x.txt\n"})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":                            "team/dropin",
		"PLUGIN_TAGS":                            "1.0,latest",
		"PLUGIN_BUILD_ARGS":                      "BASE=" + baseImage + ",GREETING=hello,world",
		"PLUGIN_BUILD_ARGS_NEW":                  "BASE=" + baseImage + ";GREETING=hello,world",
		"PLUGIN_MULTIPLE_BUILD_ARGS":             "true",
		"PLUGIN_IGNORE_PATH":                     "/scratchpad",
		"PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE": "out/name-tag",
		"PLUGIN_OCI_LAYOUT_PATH":                 "out/oci",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "\x1b]1338;") {
		t.Errorf("a Drone card was written without DRONE_CARD_PATH:\n%q", r.stdout)
	}
	image := stack.Registry.Addr + "/team/dropin"
	d := digestOf(t, image+":1.0")
	_, files := pulled(t, image+":latest")
	if files["greeting.txt"] != "hello,world" || files["world.txt"] != "[unset]" {
		t.Errorf("greeting.txt = %q, world.txt = %q; want hello,world and [unset]", files["greeting.txt"], files["world.txt"])
	}
	if _, ok := files["scratchpad/x.txt"]; ok {
		t.Error("PLUGIN_IGNORE_PATH: /scratchpad/x.txt is in the image")
	}
	if got, want := readFile(t, filepath.Join(ws, "out/name-tag")), image+":1.0@"+d+"\n"+image+":latest@"+d+"\n"; got != want {
		t.Errorf("name-tag file = %q, want %q", got, want)
	}
	idx, err := layout.ImageIndexFromPath(filepath.Join(ws, "out/oci"))
	if err != nil {
		t.Fatalf("reading the OCI layout: %v", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 || m.Manifests[0].Digest.String() != d {
		t.Errorf("OCI layout holds %+v, want one image %s", m.Manifests, d)
	}
}

// droneCard extracts the card from a log as Drone's runner does.
func droneCard(t *testing.T, log string) (schema string, data map[string]any) {
	t.Helper()
	m := regexp.MustCompile("\x1b]1338;(.*?)\x1b]0m").FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no Drone card in:\n%q", log)
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

// With DRONE_CARD_PATH=/dev/stdout, as Drone's runner sets it, the log
// carries the card of the pushed image: image, digest, tags, size,
// platform and the time of each phase.
func TestDroneCardOnStdoutDescribesThePushedImage(t *testing.T) {
	addRepos("team/card")
	r := runPlugin(t, simpleBuild(t), map[string]string{
		"PLUGIN_REPO":       "team/card",
		"PLUGIN_TAGS":       "v1,latest",
		"PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
		"DRONE_CARD_PATH":   "/dev/stdout",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	image := stack.Registry.Addr + "/team/card"
	schema, data := droneCard(t, r.stdout)
	if !strings.HasSuffix(schema, "/docs/card.json") {
		t.Errorf("schema %q is not docs/card.json", schema)
	}
	for k, want := range map[string]any{
		"image": image, "digest": digestOf(t, image+":v1"), "tags": []any{"v1", "latest"},
		"platforms": []any{"linux/" + runtime.GOARCH},
	} {
		if got, _ := json.Marshal(data[k]); string(got) != mustJSON(want) {
			t.Errorf("card %s = %s, want %s", k, got, mustJSON(want))
		}
	}
	if n, _ := data["sizeBytes"].(float64); n <= 0 {
		t.Errorf("card sizeBytes = %v", data["sizeBytes"])
	}
	var phases []string
	for _, p := range data["phases"].([]any) {
		phases = append(phases, p.(map[string]any)["name"].(string))
	}
	if got := strings.Join(phases, ","); got != "settings,auth,build,upload,push,verify,outputs" { // provenance is part of push and verify
		t.Errorf("card phases = %s", got)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
