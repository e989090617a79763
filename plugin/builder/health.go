package builder

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/health"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/rawconfig"
)

// withStartInterval writes the healthcheck's start interval, which
// kaniko's image config drops, back into img's config: the one the
// Dockerfile's last HEALTHCHECK gave, or, when no HEALTHCHECK of the
// target's stages set one, the base image's. bases are the images the
// build pulled; the base is the one whose healthcheck is img's.
func withStartInterval(img v1.Image, c health.Check, bases []v1.Image) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil || cf.Config.Healthcheck == nil {
		return img, err
	}
	d := c.StartInterval
	if c.Inherited {
		d = baseStartInterval(cf.Config.Healthcheck, bases)
	}
	if d == 0 {
		return img, nil
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	if raw, err = setStartInterval(raw, d); err != nil {
		return nil, err
	}
	return rawconfig.Image(img, raw)
}

// dockerHealth is the healthcheck of a config as Docker writes it.
type dockerHealth struct {
	Config struct {
		Healthcheck *dockerspec.HealthcheckConfig
	} `json:"config"`
}

// baseStartInterval is the start interval of the base images whose
// healthcheck is otherwise hc; 0 when none has one, or when they disagree.
func baseStartInterval(hc *v1.HealthConfig, bases []v1.Image) time.Duration {
	var found time.Duration
	for _, b := range bases {
		raw, err := b.RawConfigFile()
		if err != nil {
			continue
		}
		var cfg dockerHealth
		if json.Unmarshal(raw, &cfg) != nil || cfg.Config.Healthcheck == nil {
			continue
		}
		h := cfg.Config.Healthcheck
		same := reflect.DeepEqual(h.Test, hc.Test) && h.Interval == hc.Interval && h.Timeout == hc.Timeout &&
			h.StartPeriod == hc.StartPeriod && h.Retries == hc.Retries
		if !same || h.StartInterval == 0 {
			continue
		}
		if found != 0 && found != h.StartInterval {
			logrus.Warnf("HEALTHCHECK: base images with this healthcheck differ in --start-interval (%s, %s); the image gets none", found, h.StartInterval)
			return 0
		}
		found = h.StartInterval
	}
	return found
}

// setStartInterval sets config.Healthcheck.StartInterval in a config's
// JSON, keeping every other field as it is.
func setStartInterval(raw []byte, d time.Duration) ([]byte, error) {
	return setConfigField(raw, "Healthcheck", func(old json.RawMessage) (any, error) {
		var hc dockerspec.HealthcheckConfig
		if err := json.Unmarshal(old, &hc); err != nil {
			return nil, fmt.Errorf("the image config's healthcheck: %w", err)
		}
		hc.StartInterval = d
		return hc, nil
	})
}

// setConfigField replaces the field of the config object of a config's
// JSON with what set makes of its old value (null when absent), keeping
// every other field as it is.
func setConfigField(raw []byte, field string, set func(old json.RawMessage) (any, error)) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	var cfg map[string]json.RawMessage
	if err := json.Unmarshal(top["config"], &cfg); err != nil {
		return nil, fmt.Errorf("the image config has no config object: %w", err)
	}
	old := cfg[field]
	if old == nil {
		old = json.RawMessage("null")
	}
	v, err := set(old)
	if err != nil {
		return nil, err
	}
	if cfg[field], err = json.Marshal(v); err != nil {
		return nil, err
	}
	if top["config"], err = json.Marshal(cfg); err != nil {
		return nil, err
	}
	return json.Marshal(top)
}
