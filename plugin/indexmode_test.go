package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// archImage pushes a random image for linux/arch to ref and returns its digest.
func archImage(t *testing.T, ref, arch string) string {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(ref)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d.String()
}

// runIndex runs the whole plugin in index mode against an in-process
// registry, outside /kaniko and as a user, with the real AWS side over a
// fake ECR service.
func runIndex(t *testing.T, host string, env map[string]string, reg *fakeRegistry) (*fakeBuilder, string, error) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PLUGIN_") || k == "DRONE_OUTPUT" {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	// An endpoint override allows a registry that is no ECR host; the fake
	// ECR service below answers instead.
	t.Setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:1")
	for k, v := range map[string]string{"PLUGIN_REGISTRY": host, "PLUGIN_REGION": "us-east-1", "PLUGIN_REPO": "team/app"} {
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	restoreLogger(t)
	b := &fakeBuilder{}
	var stderr bytes.Buffer
	err := Run(context.Background(), Deps{
		Builder: b, Env: settings.Env{Lookup: os.LookupEnv, Dir: t.TempDir()}, Stdout: &bytes.Buffer{}, Stderr: &stderr,
		Exe: "/usr/local/bin/kaniko-ecr", EUID: 1000,
		NewAWS: func(_ context.Context, p *settings.Plan, hook *redact.Hook) (AWS, error) {
			return awsecr.NewSession(p, &awsecr.Clients{Registry: reg, STS: fakeSTS{}}, hook), nil
		},
	})
	return b, stderr.String(), err
}

func registryHost(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestIndexModeBuildsNothingRunsAnywhereAndWritesTheOutputsOfABuild(t *testing.T) {
	host := registryHost(t)
	amd := archImage(t, host+"/team/app:1-amd64", "amd64")
	arm := archImage(t, host+"/team/app:1-arm64", "arm64")
	out := t.TempDir()
	b, logText, err := runIndex(t, host, map[string]string{
		"PLUGIN_INDEX_SOURCES": "1-amd64,1-arm64",
		"PLUGIN_TAGS":          "1,latest",
		"PLUGIN_ARTIFACT_FILE": filepath.Join(out, "artifact.json"),
		"DRONE_OUTPUT":         filepath.Join(out, "drone.env"),
	}, &fakeRegistry{})
	if err != nil {
		t.Fatalf("%v\n%s", err, logText)
	}
	if b.called {
		t.Error("index mode ran a build")
	}
	tag, _ := name.NewTag(host + "/team/app:latest")
	idx, err := remote.Index(tag)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	digest := d.String()
	for _, want := range []string{
		"digest: " + digest + " (Docker manifest list)",
		"platforms: linux/amd64, linux/arm64",
		"linux/amd64: " + amd + " from " + host + "/team/app:1-amd64",
		"linux/arm64: " + arm + " from " + host + "/team/app:1-arm64",
		"tags pushed: 1, latest",
	} {
		if !strings.Contains(logText, want) {
			t.Errorf("summary lacks %q:\n%s", want, logText)
		}
	}
	var a struct {
		Data struct {
			Images []struct{ Image, Digest string }
		}
	}
	if err := json.Unmarshal([]byte(readOutput(t, filepath.Join(out, "artifact.json"))), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Data.Images) != 2 || a.Data.Images[0] != (struct{ Image, Digest string }{"team/app:1", digest}) || a.Data.Images[1].Image != "team/app:latest" || a.Data.Images[1].Digest != digest {
		t.Errorf("artifact images %+v, want both tags with the index digest %s", a.Data.Images, digest)
	}
	// One provenance per platform manifest, naming its source.
	var prov []string
	for src, d := range map[string]string{host + "/team/app:1-amd64": amd, host + "/team/app:1-arm64": arm} {
		art, st := referredStatement(t, host+"/team/app", d)
		if deps := st.Predicate.BuildDefinition.ResolvedDependencies; len(deps) != 1 || deps[0].Name != src || "sha256:"+deps[0].Digest["sha256"] != d {
			t.Errorf("provenance of %s names %+v, want %s", d, deps, src)
		}
		prov = append(prov, art)
	}
	sort.Strings(prov)
	_, after, _ := strings.Cut(readOutput(t, filepath.Join(out, "drone.env")), "provenance_digest=")
	got, _, _ := strings.Cut(after, "\n")
	gotProv := strings.Split(got, ",")
	sort.Strings(gotProv)
	if !slices.Equal(gotProv, prov) {
		t.Errorf("provenance_digest %v, want the referrers %v", gotProv, prov)
	}
	wantEnv := "digest=" + digest + "\nimage=" + host + "/team/app@" + digest + "\ntags=1,latest\nprovenance_digest=" + got + "\n"
	if got := readOutput(t, filepath.Join(out, "drone.env")); got != wantEnv {
		t.Errorf("DRONE_OUTPUT = %q, want %q", got, wantEnv)
	}
}

func TestIndexModeWritesNothingOverAnImmutableTagHoldingAnotherIndex(t *testing.T) {
	host := registryHost(t)
	archImage(t, host+"/team/app:amd64", "amd64")
	reg := &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA})}
	_, logText, err := runIndex(t, host, map[string]string{"PLUGIN_INDEX_SOURCES": "amd64", "PLUGIN_TAGS": "v1,v2"}, reg)
	var ce *awsecr.TagConflictError
	if !errors.As(err, &ce) || ExitCode(err) != 1 || !strings.Contains(err.Error(), "(found once the index was assembled: nothing was pushed): "+`tag "v1" holds `+digestA+", the index is sha256:") {
		t.Fatalf("err = %v, want a tag conflict (exit 1)\n%s", err, logText)
	}
	for _, tag := range []string{"v1", "v2"} {
		ref, _ := name.NewTag(host + "/team/app:" + tag)
		if _, err := remote.Head(ref); err == nil {
			t.Errorf("tag %s was written", tag)
		}
	}
}

func readOutput(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIndexModeRunsAgainOverAnImmutableTagThatHoldsTheSameIndex(t *testing.T) {
	host := registryHost(t)
	archImage(t, host+"/team/app:amd64", "amd64")
	archImage(t, host+"/team/app:arm64", "arm64")
	env := map[string]string{"PLUGIN_INDEX_SOURCES": "amd64,arm64", "PLUGIN_TAGS": "v1"}
	if _, logText, err := runIndex(t, host, env, &fakeRegistry{}); err != nil {
		t.Fatalf("first run: %v\n%s", err, logText)
	}
	ref, _ := name.NewTag(host + "/team/app:v1")
	desc, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	// ECR now reports v1 as immutable and holding that index.
	reg := &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": desc.Digest.String()})}
	_, logText, err := runIndex(t, host, env, reg)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, logText)
	}
	for _, want := range []string{"the index must have that digest", `already holds ` + desc.Digest.String() + " in the immutable repository team/app: not pushing it again"} {
		if !strings.Contains(logText, want) {
			t.Errorf("log lacks %q:\n%s", want, logText)
		}
	}
	if strings.Contains(logText, "tagging "+host+"/team/app:v1") {
		t.Errorf("v1 was written again:\n%s", logText)
	}
}
