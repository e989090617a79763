package integration

import (
	"path/filepath"
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
