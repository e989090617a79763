package integration

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pushPlatform pushes a small image whose config names linux/arch to ref in
// the local registry, as a per-architecture stage would, and returns its
// digest.
func pushPlatform(t *testing.T, ref, arch string) string {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d.String()
}

// readIndex reads the index a tag names and returns its digest and its
// entries as "platform digest".
func readIndex(t *testing.T, ref string) (string, []string) {
	t.Helper()
	tag, _ := name.NewTag(ref)
	opts, _ := stack.Registry.Options()
	idx, err := remote.Index(tag, opts...)
	if err != nil {
		t.Fatalf("reading the index %s: %v", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, m := range im.Manifests {
		entries = append(entries, m.Platform.String()+" "+m.Digest.String())
	}
	d, _ := idx.Digest()
	return d.String(), entries
}

func TestIndexJoinsTwoPlatformImagesUnderTwoTagsWithOutputs(t *testing.T) {
	addRepos("multi/app")
	img := stack.Registry.Addr + "/multi/app"
	amd := pushPlatform(t, img+":1.0-amd64", "amd64")
	arm := pushPlatform(t, img+":1.0-arm64", "arm64")
	ws := t.TempDir() // no Dockerfile: nothing is built
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":          "multi/app",
		"PLUGIN_TAGS":          "1.0,latest",
		"PLUGIN_INDEX_SOURCES": "1.0-amd64," + img + ":1.0-arm64",
		"PLUGIN_ARTIFACT_FILE": "out/artifact.json",
		"DRONE_OUTPUT":         "/harness/out/drone.env",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	digest, entries := readIndex(t, img+":1.0")
	if want := []string{"linux/amd64 " + amd, "linux/arm64 " + arm}; !slices.Equal(entries, want) {
		t.Errorf("index entries %v, want %v", entries, want)
	}
	if got := digestOf(t, img+":latest"); got != digest {
		t.Errorf("latest holds %s, 1.0 holds %s", got, digest)
	}
	if buildStarted(r.stderr) {
		t.Error("index mode started a build")
	}
	for _, want := range []string{"digest: " + digest + " (Docker manifest list)", "platforms: linux/amd64, linux/arm64", "linux/arm64: " + arm + " from " + img + ":1.0-arm64", "tags pushed: 1.0, latest"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, r.stderr)
		}
	}
	var a struct {
		Data struct {
			Images []struct{ Image, Digest string }
		}
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(ws, "out/artifact.json"))), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Data.Images) != 2 || a.Data.Images[1].Image != "multi/app:latest" || a.Data.Images[0].Digest != digest || a.Data.Images[1].Digest != digest {
		t.Errorf("artifact images %+v, want 1.0 and latest with %s", a.Data.Images, digest)
	}
	// One provenance per platform manifest, naming the source it came from.
	var prov []string
	for _, p := range []struct{ digest, source string }{{amd, img + ":1.0-amd64"}, {arm, img + ":1.0-arm64"}} {
		desc, _, payload := referrer(t, img, p.digest)
		checkStatementSource(t, payload, p.source, p.digest)
		prov = append(prov, desc.Digest.String())
	}
	wantEnv := "digest=" + digest + "\nimage=" + img + "@" + digest + "\ntags=1.0,latest\nprovenance_digest=" + strings.Join(prov, ",") + "\n"
	if got := readFile(t, filepath.Join(ws, "out/drone.env")); got != wantEnv {
		t.Errorf("DRONE_OUTPUT = %q, want %q", got, wantEnv)
	}
}

func TestIndexRefusesTwoSourcesForOnePlatformAndWritesNoTag(t *testing.T) {
	addRepos("multi/dup")
	img := stack.Registry.Addr + "/multi/dup"
	pushPlatform(t, img+":a", "amd64")
	pushPlatform(t, img+":b", "amd64")
	r := runPlugin(t, t.TempDir(), map[string]string{"PLUGIN_REPO": "multi/dup", "PLUGIN_TAGS": "1", "PLUGIN_INDEX_SOURCES": "a,b"})
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if want := "two images for platform linux/amd64: " + img + ":a ("; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, ") and "+img+":b (") {
		t.Errorf("log does not name the platform and both sources (%q ... %s:b):\n%s", want, img, r.stderr)
	}
	if tagExists(t, img+":1") {
		t.Error("tag 1 was written")
	}
}

func TestIndexWaitsForASourceThatArrivesLate(t *testing.T) {
	addRepos("multi/late")
	img := stack.Registry.Addr + "/multi/late"
	amd := pushPlatform(t, img+":amd64", "amd64")
	p := startSandbox(t, t.TempDir(), map[string]string{
		"PLUGIN_REPO": "multi/late", "PLUGIN_TAGS": "1", "PLUGIN_INDEX_SOURCES": "amd64,arm64", "PLUGIN_INDEX_WAIT": "2m",
	}, nil)
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.stderr.String(), "waiting for "+img+":arm64") {
		if time.Now().After(deadline) {
			t.Fatalf("the run never said it waits for arm64:\n%s", p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	arm := pushPlatform(t, img+":arm64", "arm64")
	r := p.wait(t, time.Minute)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, entries := readIndex(t, img+":1"); !slices.Equal(entries, []string{"linux/amd64 " + amd, "linux/arm64 " + arm}) {
		t.Errorf("index entries %v", entries)
	}
}

func TestIndexGivesUpOnAMissingSourceWhenTheWaitEnds(t *testing.T) {
	addRepos("multi/missing")
	img := stack.Registry.Addr + "/multi/missing"
	pushPlatform(t, img+":amd64", "amd64")
	start := time.Now()
	r := runPlugin(t, t.TempDir(), map[string]string{
		"PLUGIN_REPO": "multi/missing", "PLUGIN_TAGS": "1", "PLUGIN_INDEX_SOURCES": "amd64,arm64", "PLUGIN_INDEX_WAIT": "3s",
	})
	took := time.Since(start)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if want := "source " + img + ":arm64 still not found after waiting 3s (PLUGIN_INDEX_WAIT); nothing was pushed"; !strings.Contains(r.stderr, want) {
		t.Errorf("log lacks %q:\n%s", want, r.stderr)
	}
	if took < 3*time.Second || took > 30*time.Second {
		t.Errorf("gave up after %s, want a little over the 3s wait", took)
	}
	if tagExists(t, img+":1") {
		t.Error("tag 1 was written")
	}
}

func TestIndexWithABuildSettingExitsTwoBeforeAnyCall(t *testing.T) {
	before := len(stack.API.Calls())
	r := runPlugin(t, t.TempDir(), map[string]string{
		"PLUGIN_REPO": "multi/app", "PLUGIN_INDEX_SOURCES": "a,b", "PLUGIN_BUILD_ARGS": "A=1", "PLUGIN_TARGET": "final",
	})
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, v := range []string{"PLUGIN_BUILD_ARGS is a build setting", "PLUGIN_TARGET is a build setting"} {
		if !strings.Contains(r.stderr, v) {
			t.Errorf("log lacks %q:\n%s", v, r.stderr)
		}
	}
	if calls := callsSince(before); len(calls) != 0 {
		t.Errorf("AWS was called: %v", calls)
	}
}
