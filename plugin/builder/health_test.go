package builder

import (
	"encoding/json"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/health"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/rawconfig"
)

// imageWithHealth is a random image whose config's healthcheck is hc, with
// start interval d written as Docker writes it.
func imageWithHealth(t *testing.T, hc *v1.HealthConfig, d time.Duration) v1.Image {
	t.Helper()
	img, err := random.Image(16, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.Config.Healthcheck = hc
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	if d == 0 || hc == nil {
		return img
	}
	raw, _ := img.RawConfigFile()
	if raw, err = setStartInterval(raw, d); err != nil {
		t.Fatal(err)
	}
	if img, err = rawconfig.Image(img, raw); err != nil {
		t.Fatal(err)
	}
	return img
}

func startIntervalOf(t *testing.T, img v1.Image) time.Duration {
	t.Helper()
	raw, _ := img.RawConfigFile()
	var cfg dockerHealth
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Config.Healthcheck == nil {
		return 0
	}
	return cfg.Config.Healthcheck.StartInterval
}

func TestTheStartIntervalComesFromTheDockerfileOrTheBaseWithTheSameHealthcheck(t *testing.T) {
	check := &v1.HealthConfig{Test: []string{"CMD", "true"}, Interval: 30 * time.Second, Retries: 3}
	other := &v1.HealthConfig{Test: []string{"CMD", "false"}}
	for _, tc := range []struct {
		name  string
		built *v1.HealthConfig
		c     health.Check
		bases []v1.Image
		want  time.Duration
	}{
		{"set by the Dockerfile", check, health.Check{StartInterval: 2 * time.Second}, nil, 2 * time.Second},
		{"cleared by the Dockerfile", check, health.Check{}, []v1.Image{imageWithHealth(t, check, 5*time.Second)}, 0},
		{"inherited from the base", check, health.Check{Inherited: true}, []v1.Image{imageWithHealth(t, other, time.Second), imageWithHealth(t, check, 5*time.Second)}, 5 * time.Second},
		{"no base has this healthcheck", check, health.Check{Inherited: true}, []v1.Image{imageWithHealth(t, other, time.Second)}, 0},
		{"bases that disagree", check, health.Check{Inherited: true}, []v1.Image{imageWithHealth(t, check, time.Second), imageWithHealth(t, check, 5*time.Second)}, 0},
		{"no healthcheck at all", nil, health.Check{StartInterval: time.Second}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := imageWithHealth(t, tc.built, 0)
			out, err := withStartInterval(img, tc.c, tc.bases)
			if err != nil {
				t.Fatal(err)
			}
			if got := startIntervalOf(t, out); got != tc.want {
				t.Errorf("start interval %s, want %s", got, tc.want)
			}
			before, _ := img.ConfigFile()
			after, _ := out.ConfigFile()
			before.Config.Healthcheck, after.Config.Healthcheck = nil, nil
			b, _ := json.Marshal(before)
			a, _ := json.Marshal(after)
			if string(a) != string(b) {
				t.Errorf("the rest of the config changed:\n%s\n%s", b, a)
			}
		})
	}
}
