package checks

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
)

// once tracks an instruction a stage should have at most once.
type once struct{ set *instructions.Command }

func (o *once) use(c instructions.Command, lint *linter.Linter) {
	if o.set != nil {
		// BuildKit reports the earlier one: it is the one that is ignored.
		lint.Run(&linter.RuleMultipleInstructionsDisallowed, (*o.set).Location(), linter.RuleMultipleInstructionsDisallowed.Format(c.Name()))
	}
	o.set = &c
}

// commands runs the rules BuildKit checks per instruction while building
// a stage: MultipleInstructionsDisallowed, JSONArgsRecommended,
// LegacyKeyValueFormat, ExposeProtoCasing and ExposeInvalidFormat. A stage
// whose base is an earlier stage starts with that stage's SHELL; any other
// base is taken to set none, which holds for the common base images.
func commands(stages []instructions.Stage, lint *linter.Linter) {
	shell := make([]bool, len(stages))
	byName := map[string]int{}
	for i, st := range stages {
		if j, ok := byName[strings.ToLower(st.BaseName)]; ok {
			shell[i] = shell[j]
		}
		if st.Name != "" {
			byName[st.Name] = i
		}
		stageLint := lint.WithMergedConfigFromComments(st.Comments)
		var cmd, entrypoint, health once
		for _, c := range st.Commands {
			l := stageLint.WithMergedConfigFromComments(c.Comments())
			switch c := c.(type) {
			case *instructions.ShellCommand:
				shell[i] = true
			case *instructions.CmdCommand:
				cmd.use(c, l)
				jsonArgs(c, c.PrependShell, shell[i], l)
			case *instructions.EntrypointCommand:
				entrypoint.use(c, l)
				jsonArgs(c, c.PrependShell, shell[i], l)
			case *instructions.HealthCheckCommand:
				health.use(c, l)
			case *instructions.EnvCommand:
				legacy(c, c.Env, l)
			case *instructions.LabelCommand:
				legacy(c, c.Labels, l)
			case *instructions.ExposeCommand:
				expose(c, l)
			}
		}
	}
}

func jsonArgs(c instructions.Command, shellForm, shellSet bool, lint *linter.Linter) {
	if shellForm && !shellSet {
		lint.Run(&linter.RuleJSONArgsRecommended, c.Location(), linter.RuleJSONArgsRecommended.Format(c.Name()))
	}
}

func legacy(c instructions.Command, kvs instructions.KeyValuePairs, lint *linter.Linter) {
	for _, kv := range kvs {
		if kv.NoDelim {
			lint.Run(&linter.RuleLegacyKeyValueFormat, c.Location(), linter.RuleLegacyKeyValueFormat.Format(c.Name()))
		}
	}
}

// expose checks the ports as BuildKit does; ports with variables are
// expanded only during the build, so they are not checked.
func expose(c *instructions.ExposeCommand, lint *linter.Linter) {
	for _, p := range c.Ports {
		if strings.Contains(p, "$") {
			continue
		}
		parts := strings.Split(p, ":")
		_, proto, _ := strings.Cut(parts[len(parts)-1], "/")
		if proto != strings.ToLower(proto) {
			lint.Run(&linter.RuleExposeProtoCasing, c.Location(), linter.RuleExposeProtoCasing.Format(p))
		}
		if n := len(parts); n > 3 || strings.Join(parts[:n-1], "") != "" {
			lint.Run(&linter.RuleExposeInvalidFormat, c.Location(), linter.RuleExposeInvalidFormat.Format(p))
		}
	}
}
