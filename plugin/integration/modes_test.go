package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

func simpleBuild(t *testing.T) string {
	t.Helper()
	return writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo built > /built.txt\n"})
}

func tagExists(t *testing.T, ref string) bool {
	t.Helper()
	r, _ := name.ParseReference(ref)
	opts, _ := stack.Registry.Options()
	_, err := remote.Head(r, opts...)
	return err == nil
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading output: %v", err)
	}
	return string(b)
}

func TestNoPushWritesATarballAndOutputsButPushesNothing(t *testing.T) {
	addRepos("team/nopush")
	ws := simpleBuild(t)
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":        "team/nopush",
		"PLUGIN_TAGS":        "v1,v2",
		"PLUGIN_BUILD_ARGS":  "BASE=" + baseImage,
		"PLUGIN_NO_PUSH":     "true",
		"PLUGIN_TAR_PATH":    "out/image.tar",
		"PLUGIN_DIGEST_FILE": "out/digest",
		"DRONE_OUTPUT":       "/harness/out/drone.env",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	digest := readFile(t, filepath.Join(ws, "out/digest"))
	img, err := tarball.ImageFromPath(filepath.Join(ws, "out/image.tar"), nil)
	if err == nil {
		// A tarball with two tags of one image: ask for one of them.
		tag, _ := name.NewTag(stack.Registry.Addr + "/team/nopush:v2")
		img, err = tarball.ImageFromPath(filepath.Join(ws, "out/image.tar"), &tag)
	}
	if err != nil {
		t.Fatalf("tarball: %v", err)
	}
	if d, _ := img.Digest(); d.String() != digest {
		t.Errorf("tarball holds %s, digest file says %s", d, digest)
	}
	if tagExists(t, stack.Registry.Addr+"/team/nopush:v1") {
		t.Error("PLUGIN_NO_PUSH pushed the image")
	}
	want := "digest=" + digest + "\nIMAGE_TAR_PATH=/harness/out/image.tar\n"
	if got := readFile(t, filepath.Join(ws, "out/drone.env")); got != want {
		t.Errorf("DRONE_OUTPUT = %q, want %q", got, want)
	}
}

func TestPushOnlyPushesATarballUnderEveryTagWithOutputs(t *testing.T) {
	addRepos("team/pushonly")
	ws := t.TempDir()
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := name.NewTag("example.invalid/source:built")
	if err := tarball.WriteToFile(filepath.Join(ws, "image.tar"), src, img); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":            "team/pushonly",
		"PLUGIN_TAGS":            "a,b,c",
		"PLUGIN_PUSH_ONLY":       "true",
		"PLUGIN_SOURCE_TAR_PATH": "image.tar",
		"PLUGIN_ARTIFACT_FILE":   "out/artifact.json",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, tag := range []string{"a", "b", "c"} {
		if got := digestOf(t, stack.Registry.Addr+"/team/pushonly:"+tag); got != want.String() {
			t.Errorf("tag %s holds %s, want %s", tag, got, want)
		}
	}
	if strings.Contains(r.stderr, "Building stage") {
		t.Error("push-only ran a build")
	}
	var a struct {
		Data struct {
			Images []struct{ Image, Digest string }
		}
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(ws, "out/artifact.json"))), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Data.Images) != 3 || a.Data.Images[2].Image != "team/pushonly:c" || a.Data.Images[2].Digest != want.String() {
		t.Errorf("artifact images %+v", a.Data.Images)
	}
}

func TestDryRunPrintsThePlanMaskedAndTouchesNothing(t *testing.T) {
	ws := simpleBuild(t)
	before := len(stack.API.Calls())
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":        "team/dry",
		"PLUGIN_DRY_RUN":     "true",
		"PLUGIN_ACCESS_KEY":  "AKIADRYRUNKEY",
		"PLUGIN_SECRET_KEY":  "dry-run-secret-value",
		"PLUGIN_DIGEST_FILE": "out/digest",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var plan map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("plan is not JSON: %v\n%s", err, r.stdout)
	}
	if plan["SecretKey"] != "[redacted]" || plan["Repo"] != "team/dry" {
		t.Errorf("plan %v", plan)
	}
	if prov, _ := plan["Provenance"].(map[string]any); !strings.HasPrefix(fmt.Sprint(prov["Attach"]), "SLSA v1 provenance (mode=min), unsigned") {
		t.Errorf("the plan does not say what would be attached: %v", plan["Provenance"])
	}
	if strings.Contains(r.stdout+r.stderr, "dry-run-secret-value") || strings.Contains(r.stdout+r.stderr, "AKIADRYRUNKEY") {
		t.Error("dry run printed a secret")
	}
	if n := len(stack.API.Calls()) - before; n != 0 {
		t.Errorf("dry run made %d AWS calls", n)
	}
	if _, err := os.Stat(filepath.Join(ws, "out")); err == nil {
		t.Error("dry run wrote an output")
	}
}

func TestOutputsAfterAPushNameThePushedDigest(t *testing.T) {
	addRepos("team/outputs")
	ws := simpleBuild(t)
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":                        "team/outputs",
		"PLUGIN_TAGS":                        "1.0,latest",
		"PLUGIN_BUILD_ARGS":                  "BASE=" + baseImage,
		"PLUGIN_ARTIFACT_FILE":               "deep/er/artifact.json",
		"PLUGIN_DIGEST_FILE":                 "deep/digest",
		"PLUGIN_IMAGE_NAME_WITH_DIGEST_FILE": "deep/name",
		"DRONE_OUTPUT":                       "/harness/drone.env",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	d := digestOf(t, stack.Registry.Addr+"/team/outputs:1.0")
	image := stack.Registry.Addr + "/team/outputs"
	prov, _, _ := referrer(t, image, d) // the provenance attached to the image
	wantArtifact := `{"kind":"docker/v1","data":{"registryType":"ECR","registryUrl":"` + stack.Registry.Addr + `","images":[{"image":"team/outputs:1.0","digest":"` + d + `"},{"image":"team/outputs:latest","digest":"` + d + `"}],"provenanceDigests":["` + prov.Digest.String() + `"]}}`
	for file, want := range map[string]string{
		"deep/er/artifact.json": wantArtifact,
		"deep/digest":           d,
		"deep/name":             image + "@" + d + "\n" + image + "@" + d + "\n",
		"drone.env":             "digest=" + d + "\nimage=" + image + "@" + d + "\ntags=1.0,latest\nprovenance_digest=" + prov.Digest.String() + "\n",
	} {
		if got := readFile(t, filepath.Join(ws, file)); got != want {
			t.Errorf("%s = %s\nwant %s", file, got, want)
		}
	}
}

func TestFailedBuildWritesNoOutputs(t *testing.T) {
	addRepos("team/fails")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN exit 7\n"})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO":          "team/fails",
		"PLUGIN_BUILD_ARGS":    "BASE=" + baseImage,
		"PLUGIN_ARTIFACT_FILE": "out/artifact.json",
		"DRONE_OUTPUT":         "/harness/out/drone.env",
	})
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(ws, "out")); err == nil {
		t.Error("a failed build wrote outputs")
	}
	if tagExists(t, stack.Registry.Addr+"/team/fails:latest") {
		t.Error("a failed build pushed a tag")
	}
}

func TestBaseImageIsPulledFromASecondRegistryWithItsOwnCredentials(t *testing.T) {
	addRepos("team/private-base")
	second, err := localecr.StartRegistry(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Stop()
	img, err := localecr.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	ref := writeImage(t, second, second.Addr+"/private/base:1", img)
	bundle := secondRegistryCA(t, second)

	ws := writeFiles(t, map[string]string{"Dockerfile": "FROM " + ref + "\nRUN echo from-private > /p.txt\n"})
	env := map[string]string{"PLUGIN_REPO": "team/private-base", "SANDBOX_CA": bundle}
	if r := runPlugin(t, ws, env); r.code != 1 {
		t.Fatalf("without the base image credentials: exit %d, want 1\n%s", r.code, r.stderr)
	}
	// Harness sends the Base Image Connector as PLUGIN_DOCKER_*.
	env["PLUGIN_DOCKER_REGISTRY"] = "https://" + second.Addr
	env["PLUGIN_DOCKER_USERNAME"] = second.User
	env["PLUGIN_DOCKER_PASSWORD"] = second.Password
	r := runPlugin(t, ws, env)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, second.Password) {
		t.Error("the base image password reached the log")
	}
	if _, files := pulled(t, stack.Registry.Addr+"/team/private-base:latest"); files["p.txt"] != "from-private\n" {
		t.Errorf("p.txt = %q", files["p.txt"])
	}
}

func TestBuildArgValuesReachTheDockerfileUnchanged(t *testing.T) {
	addRepos("team/args")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nARG A\nARG B\nARG C\n" +
		`RUN printf '%s|%s|%s' "$A" "$B" "$C" > /args.txt` + "\n"})
	const a = `x, y = "z" 'w'`
	r := runSandbox(t, ws, map[string]string{
		"PLUGIN_REPO":                "team/args",
		"PLUGIN_BUILD_ARGS":          `["BASE=` + baseImage + `", "A=` + strings.ReplaceAll(a, `"`, `\"`) + `", "B=k=v,l"]`,
		"PLUGIN_BUILD_ARGS_FROM_ENV": "C",
		"C":                          "from env, with spaces",
	}, []string{"SANDBOX_ENV=C"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	_, files := pulled(t, stack.Registry.Addr+"/team/args:latest")
	if want := a + "|k=v,l|from env, with spaces"; files["args.txt"] != want {
		t.Errorf("args.txt = %q, want %q", files["args.txt"], want)
	}
}

func TestSIGTERMDuringALongRunStopsWithin5sAndPushesNothing(t *testing.T) {
	addRepos("team/interrupted")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN sleep 120\n"})
	p := startSandbox(t, ws, map[string]string{
		"PLUGIN_REPO":       "team/interrupted",
		"PLUGIN_BUILD_ARGS": "BASE=" + baseImage,
	}, nil)
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(p.stderr.String(), "Running: [/bin/sh -c sleep 120]") {
		if p.cmd.ProcessState != nil || time.Now().After(deadline) || strings.Contains(p.stderr.String(), "level=error") {
			_ = p.cmd.Process.Kill()
			t.Fatalf("the RUN step never started:\n%s", p.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := p.wait(t, 30*time.Second)
	if took := time.Since(sent); took > 5500*time.Millisecond {
		t.Errorf("stopped %s after SIGTERM, want within 5s", took)
	}
	if r.code != 143 {
		t.Errorf("exit %d, want 143\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "during the build phase") {
		t.Errorf("the log does not name the phase:\n%s", r.stderr)
	}
	if tagExists(t, stack.Registry.Addr+"/team/interrupted:latest") {
		t.Error("an interrupted build pushed a tag")
	}
}
