// Package help renders what kaniko-ecr tells about its settings: the
// --help text and the README's settings table, both made from the Settings
// struct's tags, and the warning that names PLUGIN_* variables no setting
// reads, with the closest known name.
package help

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// Table renders settings.Infos as the Markdown table that README.md carries.
func Table() string {
	var b strings.Builder
	b.WriteString("| Variable | Aliases | Default | Seed setting | Meaning |\n|---|---|---|---|---|\n")
	for _, in := range settings.Infos() {
		seed := in.Seed
		if seed == "-" {
			seed = "(plugin)"
		}
		def := in.Default
		if def != "" {
			def = "`" + def + "`"
		}
		al := in.Aliases
		if al != "" {
			al = "`" + strings.ReplaceAll(al, ", ", "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", in.Env, al, def, seed, strings.ReplaceAll(in.Desc, "|", "\\|"))
	}
	return b.String()
}

// knownEnv reports whether name is a variable the program reads.
func knownEnv(name string) bool {
	return slices.Contains(knownNames(), name)
}

// knownNames is every variable a setting reads, aliases included.
func knownNames() []string {
	var names []string
	for _, in := range settings.Infos() {
		names = append(names, in.Env)
		if in.Aliases != "" {
			names = append(names, strings.Split(in.Aliases, ", ")...)
		}
	}
	return names
}

// Unknown names every PLUGIN_* variable that no setting reads, with
// the closest known name when one is near.
func Unknown(environ []string) string {
	var parts []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "PLUGIN_") || knownEnv(k) {
			continue
		}
		if near := closestEnv(k); near != "" {
			parts = append(parts, fmt.Sprintf("%s (did you mean %s?)", k, near))
		} else {
			parts = append(parts, k)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	sort.Strings(parts)
	return "ignoring unknown settings: " + strings.Join(parts, ", ")
}

// closestEnv is the known name nearest to name, within three edits.
func closestEnv(name string) string {
	best, bestD := "", 4
	for _, n := range knownNames() {
		if d := levenshtein.Distance(name, n, nil); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// Usage is the text of kaniko-ecr --help.
func Usage() string {
	return "kaniko-ecr builds a Dockerfile with kaniko and pushes the image to Amazon ECR.\n" +
		"Every setting is an environment variable:\n\n" + Table() +
		"\nExit status: 0 success, 1 build/AWS/push failure, 2 invalid settings, 3 unsafe place to build, 130/143 interrupted.\n"
}
