package outputs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"

	"github.com/google/go-cmp/cmp"
)

const testRegistry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

func TestOutputsHaveTheShapesHarnessAndDroneRead(t *testing.T) {
	dir := t.TempDir()
	drone := filepath.Join(dir, "drone.env")
	os.WriteFile(drone, []byte("OTHER=1"), 0o644)
	p := &settings.Plan{
		RegistryURL: testRegistry, Host: testRegistry, Repo: "team/app", Tags: []string{"v1", "latest"},
		ArtifactFile:        filepath.Join(dir, "deep", "artifact.json"),
		DigestFile:          filepath.Join(dir, "digest"),
		ImageNameDigestFile: filepath.Join(dir, "name"),
		ImageNameTagDigest:  filepath.Join(dir, "name-tag"),
		DroneOutput:         drone,
	}
	const dig = "sha256:abc"
	res := Image{Digest: dig, Pushed: true, TarPath: "/harness/img.tar"}
	if err := Write(p, res); err != nil {
		t.Fatal(err)
	}
	var got any
	raw, _ := os.ReadFile(p.ArtifactFile)
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"kind": "docker/v1", "data": map[string]any{
		"registryType": "ECR", "registryUrl": testRegistry,
		"images": []any{
			map[string]any{"image": "team/app:v1", "digest": dig},
			map[string]any{"image": "team/app:latest", "digest": dig},
		},
	}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("artifact (-want +got):\n%s", d)
	}
	for path, want := range map[string]string{
		p.DigestFile:          dig,
		p.ImageNameDigestFile: testRegistry + "/team/app@" + dig + "\n" + testRegistry + "/team/app@" + dig + "\n",
		p.ImageNameTagDigest:  testRegistry + "/team/app:v1@" + dig + "\n" + testRegistry + "/team/app:latest@" + dig + "\n",
		drone:                 "OTHER=1\ndigest=" + dig + "\nimage=" + testRegistry + "/team/app@" + dig + "\ntags=v1,latest\nIMAGE_TAR_PATH=/harness/img.tar\n",
	} {
		got, _ := os.ReadFile(path)
		if string(got) != want {
			t.Errorf("%s = %q, want %q", filepath.Base(path), got, want)
		}
	}
}

func TestNothingPushedMeansNoArtifactOrImageName(t *testing.T) {
	dir := t.TempDir()
	p := &settings.Plan{Host: "h", Repo: "r", Tags: []string{"t"},
		ArtifactFile: filepath.Join(dir, "a"), ImageNameDigestFile: filepath.Join(dir, "n"), ImageNameTagDigest: filepath.Join(dir, "nt"), DigestFile: filepath.Join(dir, "d")}
	if err := Write(p, Image{Digest: "sha256:1"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p.ArtifactFile, p.ImageNameDigestFile, p.ImageNameTagDigest} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s written without a push", f)
		}
	}
	if b, _ := os.ReadFile(p.DigestFile); string(b) != "sha256:1" {
		t.Errorf("digest file %q", b)
	}
}

func TestProvenanceDigestsReachDroneOutputAndTheArtifactFile(t *testing.T) {
	dir := t.TempDir()
	p := &settings.Plan{RegistryURL: testRegistry, Host: testRegistry, Repo: "team/app", Tags: []string{"v1"},
		ArtifactFile: filepath.Join(dir, "artifact.json"), DroneOutput: filepath.Join(dir, "drone.env")}
	if err := Write(p, Image{Digest: "sha256:abc", Pushed: true, Provenance: []string{"sha256:p1", "sha256:p2"}}); err != nil {
		t.Fatal(err)
	}
	drone, _ := os.ReadFile(p.DroneOutput)
	if want := "provenance_digest=sha256:p1,sha256:p2\n"; !strings.Contains(string(drone), want) {
		t.Errorf("DRONE_OUTPUT %q lacks %q", drone, want)
	}
	var a struct {
		Data struct {
			Provenance []string `json:"provenanceDigests"`
		} `json:"data"`
	}
	raw, _ := os.ReadFile(p.ArtifactFile)
	if err := json.Unmarshal(raw, &a); err != nil || !cmp.Equal(a.Data.Provenance, []string{"sha256:p1", "sha256:p2"}) {
		t.Errorf("artifact %s: provenance %v (%v)", raw, a.Data.Provenance, err)
	}
}
