// Package checks runs BuildKit's Dockerfile build checks (the linter of
// the Dockerfile front end in go.mod) on a parsed Dockerfile, as `docker
// build` does, and honours the `# check=` directive.
//
// The rules BuildKit runs while parsing instructions come from its own
// parser with a real linter; the rules BuildKit runs while converting the
// stages to LLB are re-implemented here where they need nothing but the
// Dockerfile (see Rules). Rules that need the build context, the base
// images or the values of variables are not run.
package checks

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Rules are the rules Run can report, in BuildKit's names.
var Rules = []string{
	linter.RuleStageNameCasing.Name, linter.RuleFromAsCasing.Name,
	linter.RuleMaintainerDeprecated.Name, linter.RuleInvalidDefinitionDescription.Name,
	linter.RuleNoEmptyContinuation.Name, linter.RuleConsistentInstructionCasing.Name,
	linter.RuleReservedStageName.Name, linter.RuleDuplicateStageName.Name,
	linter.RuleMultipleInstructionsDisallowed.Name, linter.RuleJSONArgsRecommended.Name,
	linter.RuleLegacyKeyValueFormat.Name, linter.RuleExposeProtoCasing.Name,
	linter.RuleExposeInvalidFormat.Name,
}

// Warning is one violated rule at a line of the Dockerfile.
type Warning struct {
	Rule string
	Line int    // 1-based; 0 when BuildKit gives no location
	Msg  string // as docker build prints it: "<Rule>: <message> (line N)"
}

// Report is the outcome of Run.
type Report struct {
	Warnings []Warning
	// Error is set by `# check=error=true`: BuildKit then fails the build
	// when any check is violated.
	Error bool
}

// Run checks the parsed Dockerfile src. The error is an invalid `# check=`
// directive, which BuildKit refuses, with its line.
func Run(src []byte, ast *parser.Result) (Report, int, error) {
	var rep Report
	v, _, loc, _ := parser.ParseDirective("check", src)
	cfg, err := linter.ParseLintOptions(v)
	if err != nil {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		return rep, line, err
	}
	rep.Error = cfg.ReturnAsError
	cfg.Warn = func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		rep.Warnings = append(rep.Warnings, Warning{Rule: rule, Line: line, Msg: linter.LintFormatShort(rule, msg, line)})
	}
	lint := linter.New(cfg)
	for _, w := range ast.Warnings {
		if w.URL == linter.RuleNoEmptyContinuation.URL && w.Location != nil {
			lint.Run(&linter.RuleNoEmptyContinuation, []parser.Range{*w.Location}, linter.RuleNoEmptyContinuation.Format())
		}
	}
	stages, _, err := instructions.Parse(ast.AST, lint)
	if err != nil {
		// The front end reports the error itself; BuildKit stops here too.
		return rep, 0, nil
	}
	stageNames(stages, lint)
	casing(stages, lint)
	commands(stages, lint)
	return rep, 0, nil
}

// stageNames runs ReservedStageName and DuplicateStageName.
func stageNames(stages []instructions.Stage, lint *linter.Linter) {
	seen := map[string]bool{}
	for _, st := range stages {
		if st.Name == "" {
			continue
		}
		if st.Name == "context" || st.Name == "scratch" {
			lint.Run(&linter.RuleReservedStageName, st.Location, linter.RuleReservedStageName.Format(st.Name))
		}
		if seen[st.Name] {
			lint.Run(&linter.RuleDuplicateStageName, st.Location, linter.RuleDuplicateStageName.Format(st.Name))
		}
		seen[st.Name] = true
	}
}

// casing runs ConsistentInstructionCasing: every keyword is all upper or
// all lower case, whichever most self-consistent keywords use.
func casing(stages []instructions.Stage, lint *linter.Linter) {
	var lower, upper int
	count := func(s string) {
		switch s {
		case strings.ToLower(s):
			lower++
		case strings.ToUpper(s):
			upper++
		}
	}
	for _, st := range stages {
		count(st.OrigCmd)
		for _, c := range st.Commands {
			count(c.Name())
		}
	}
	match := func(name string, loc []parser.Range) {
		want := ""
		if lower > upper && strings.ToLower(name) != name {
			want = "lowercase"
		} else if lower <= upper && strings.ToUpper(name) != name {
			want = "uppercase"
		}
		if want != "" {
			lint.Run(&linter.RuleConsistentInstructionCasing, loc, linter.RuleConsistentInstructionCasing.Format(name, want))
		}
	}
	for _, st := range stages {
		match(st.OrigCmd, st.Location)
		for _, c := range st.Commands {
			match(c.Name(), c.Location())
		}
	}
}

// CrashesKaniko reports whether kaniko's parse of n would panic. kaniko
// hands BuildKit an empty linter.Linter, whose nil rule maps BuildKit
// writes to when the first check= comment above an instruction lists skip
// or experimental rules.
func CrashesKaniko(n *parser.Node) (string, bool) {
	for _, c := range n.PrevComment {
		p := parser.DirectiveParser{}
		p.SetComment("")
		d, _ := p.ParseLine([]byte(c))
		if d == nil || d.Name != "check" {
			continue
		}
		v, _, _ := strings.Cut(d.Value, " ")
		cfg, err := linter.ParseLintOptions(v)
		return c, err == nil && (len(cfg.SkipRules) > 0 || len(cfg.ExperimentalRules) > 0)
	}
	return "", false
}

// IgnoredDirective is the warning for a `# check=` directive while the
// checks are off, where it asks for something only they can do (fail the
// build: error=true), or is invalid; "" when there is nothing to say.
func IgnoredDirective(src []byte) (line int, msg string) {
	v, _, loc, ok := parser.ParseDirective("check", src)
	if !ok {
		return 0, ""
	}
	if cfg, err := linter.ParseLintOptions(v); err == nil && !cfg.ReturnAsError {
		return 0, ""
	}
	if len(loc) > 0 {
		line = loc[0].Start.Line
	}
	return line, "# check=" + v + ": build checks are off (PLUGIN_BUILD_CHECKS=false), so they cannot fail the build"
}
