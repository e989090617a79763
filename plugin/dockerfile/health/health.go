// Package health finds the HEALTHCHECK --start-interval of the image a
// Dockerfile builds. kaniko's image config has no field for it (nor has
// go-containerregistry's), so the builder writes it back into the config
// after the build, from what this package found.
package health

import (
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Check is what decides the start interval of the target stage's
// healthcheck.
type Check struct {
	// Inherited: no HEALTHCHECK in the target stage or in the stages it is
	// built on, so the base image's healthcheck stands, start interval and
	// all.
	Inherited bool
	// StartInterval is the last HEALTHCHECK's --start-interval (0 when it
	// has none, or is HEALTHCHECK NONE). Meaningless when Inherited.
	StartInterval time.Duration
}

// Of returns the Check of target (a stage name; empty means the last
// stage). Instructions that do not parse are skipped: the front end
// reports them.
func Of(ast *parser.Node, target string) Check {
	type stage struct {
		name  string
		check Check
	}
	var stages []stage
	for _, n := range ast.Children {
		if v := strings.ToLower(n.Value); v != "from" && v != "healthcheck" {
			continue
		}
		cmd, err := instructions.ParseInstructionWithLinter(n, linter.New(&linter.Config{}))
		if err != nil {
			continue
		}
		switch c := cmd.(type) {
		case *instructions.Stage:
			s := stage{name: strings.ToLower(c.Name), check: Check{Inherited: true}}
			base := strings.ToLower(c.BaseName)
			for _, prev := range stages {
				if prev.name != "" && prev.name == base {
					s.check = prev.check
				}
			}
			stages = append(stages, s)
		case *instructions.HealthCheckCommand:
			if len(stages) == 0 || c.Health == nil {
				continue
			}
			stages[len(stages)-1].check = Check{StartInterval: c.Health.StartInterval}
		}
	}
	if len(stages) == 0 {
		return Check{Inherited: true}
	}
	if target != "" {
		for _, s := range stages {
			if s.name == strings.ToLower(target) {
				return s.check
			}
		}
	}
	return stages[len(stages)-1].check
}
