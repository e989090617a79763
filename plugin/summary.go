package plugin

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/outputs"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// printPlan writes the resolved plan as JSON; secret fields print masked.
func (r *run) printPlan() error {
	out := struct {
		*settings.Plan
		Destinations []string
	}{r.plan, r.plan.Destinations()}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	logrus.Info("dry run: settings are valid; nothing was contacted, built or written")
	_, err = fmt.Fprintf(r.deps.Stdout, "%s\n", b)
	return err
}

// summary is the last lines of a successful run's log.
func (r *run) summary(res push.Result) {
	tags := r.plan.Tags
	if len(res.Pushed) == 0 {
		tags = nil
	}
	logrus.Infof("image: %s", r.plan.Image())
	logrus.Infof("digest: %s", res.Digest)
	if res.Unchanged && res.Uploaded == 0 {
		logrus.Infof("unchanged: %s, nothing uploaded", res.Digest)
	}
	logrus.Infof("tags pushed: %s", strings.Join(orNone(tags), ", "))
	logrus.Infof("size: %s", humanBytes(res.Size))
	logrus.Infof("time: %s", r.times())
}

// times is the time each phase took, then the total.
func (r *run) times() string {
	var times []string
	for _, p := range r.phases {
		times = append(times, fmt.Sprintf("%s %s", p.name, p.took.Round(time.Millisecond)))
	}
	times = append(times, fmt.Sprintf("total %s", time.Since(r.start).Round(time.Millisecond)))
	return strings.Join(times, ", ")
}

// card writes the Drone card (DRONE_CARD_PATH) after a successful push:
// what was pushed, its platform and the time of each phase.
func (r *run) card(img v1.Image, res push.Result) error {
	p := r.plan
	if p.CardPath == "" || len(res.Pushed) == 0 {
		return nil
	}
	c := outputs.Card{Image: p.Image(), Digest: res.Digest, Tags: p.Tags, TagList: strings.Join(p.Tags, ", "),
		Size: humanBytes(res.Size), SizeBytes: res.Size}
	if cf, err := img.ConfigFile(); err == nil && cf.OS != "" {
		pl := cf.OS + "/" + cf.Architecture
		if cf.Variant != "" {
			pl += "/" + cf.Variant
		}
		c.Platforms, c.Platform = []string{pl}, pl
	}
	for _, ph := range r.phases {
		c.Phases = append(c.Phases, outputs.Phase{Name: ph.name, Took: ph.took.Round(time.Millisecond).String(), Seconds: ph.took.Seconds()})
	}
	return outputs.WriteCard(p.CardPath, r.deps.Stdout, r.deps.Stderr, c)
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"(none)"}
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
