package integration

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/rawconfig"
)

const healthDockerfile = `ARG BASE
FROM ${BASE} AS base
HEALTHCHECK --interval=30s --start-period=5s --start-interval=2s --retries=4 CMD ["true"]
FROM base AS app
RUN echo hi > /hi.txt
FROM app AS off
HEALTHCHECK NONE
`

// healthOf reads the healthcheck of an image's config as Docker writes it
// (go-containerregistry's type has no StartInterval).
func healthOf(t *testing.T, ref string) map[string]any {
	t.Helper()
	raw, err := pullImage(t, ref).RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Config struct{ Healthcheck map[string]any } `json:"config"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Config.Healthcheck
}

// HEALTHCHECK --start-interval, which kaniko's image config drops, is in
// the pushed config as BuildKit writes it; a stage built on that stage
// inherits it, HEALTHCHECK NONE clears it, and a rebuild from the warm
// cache keeps the digest (the config is compared and kept as bytes).
func TestHealthcheckStartIntervalIsInTheConfigAndSurvivesAnUnchangedRebuild(t *testing.T) {
	addRepos("team/health", "team/health-cache")
	env := cacheEnv("team/health", "team/health-cache")
	env["PLUGIN_TARGET"] = "app"
	files := map[string]string{"Dockerfile": healthDockerfile, "secret.txt": "s"}
	ref := stack.Registry.Addr + "/team/health:latest"
	if r := runPlugin(t, writeFiles(t, files), env); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	h := healthOf(t, ref)
	want := map[string]float64{"StartInterval": 2e9, "Interval": 30e9, "StartPeriod": 5e9, "Retries": 4}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("Healthcheck.%s = %v, want %v (healthcheck %v)", k, h[k], v, h)
		}
	}
	before := digestOf(t, ref)
	time.Sleep(1100 * time.Millisecond)
	if r := runPlugin(t, writeFiles(t, files), env); r.code != 0 {
		t.Fatalf("rebuild: exit %d\n%s", r.code, r.stderr)
	}
	if after := digestOf(t, ref); after != before {
		t.Errorf("digest %s after an unchanged rebuild, want %s", after, before)
	}
	if h := healthOf(t, ref); h["StartInterval"] != 2e9 {
		t.Errorf("after the rebuild, Healthcheck %v lacks StartInterval 2s", h)
	}

	env["PLUGIN_TARGET"], env["PLUGIN_TAGS"] = "off", "off"
	if r := runPlugin(t, writeFiles(t, files), env); r.code != 0 {
		t.Fatalf("target off: exit %d\n%s", r.code, r.stderr)
	}
	if h := healthOf(t, stack.Registry.Addr+"/team/health:off"); h["StartInterval"] != nil || len(h["Test"].([]any)) != 1 {
		t.Errorf("HEALTHCHECK NONE gave %v, want Test [NONE] and no StartInterval", h)
	}
}

// A base image's healthcheck start interval stays in an image built FROM
// it, unless the Dockerfile sets a healthcheck of its own.
func TestBaseImageHealthcheckStartIntervalIsKeptUnlessReplaced(t *testing.T) {
	base := pullImage(t, baseImage)
	cf, err := base.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Healthcheck = nil
	plain, err := mutate.ConfigFile(base, cf)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := plain.RawConfigFile()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["config"].(map[string]any)["Healthcheck"] = map[string]any{"Test": []string{"CMD", "true"}, "Interval": 10e9, "StartInterval": 3e9}
	raw, _ = json.Marshal(m)
	withHealth, err := rawconfig.Image(plain, raw)
	if err != nil {
		t.Fatal(err)
	}
	healthyBase := writeImage(t, stack.Registry, stack.Registry.Addr+"/base/healthy:latest", withHealth)

	addRepos("team/health-base")
	for _, tc := range []struct {
		tag, extra string
		want       any
	}{
		{"inherits", "", 3e9},
		{"replaces", "HEALTHCHECK --interval=10s CMD [\"true\"]\n", nil},
	} {
		ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN echo x > /x\n" + tc.extra})
		r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "team/health-base", "PLUGIN_TAGS": tc.tag, "PLUGIN_BUILD_ARGS": "BASE=" + healthyBase})
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", tc.tag, r.code, r.stderr)
		}
		if got := healthOf(t, stack.Registry.Addr+"/team/health-base:"+tc.tag)["StartInterval"]; got != tc.want {
			t.Errorf("%s: StartInterval %v, want %v", tc.tag, got, tc.want)
		}
	}
}
