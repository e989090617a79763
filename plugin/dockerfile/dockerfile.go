// Package dockerfile is the Dockerfile front end that runs before kaniko.
//
// kaniko parses Dockerfiles with BuildKit's parser but implements only the
// classic instruction set: it ignores RUN --mount, --network, --security and
// --device, runs `RUN <<EOF` as `sh -c "<<EOF"`, fails on `COPY <<EOF`,
// ignores ADD --checksum, --keep-git-dir, --unpack, COPY --parents and
// --exclude, and never looks at `# syntax=`. Analyze reads a Dockerfile
// with the same parser and makes every one of those forms explicit: it is
// either refused with a Problem, reported as a warning, or turned into
// something the builder implements around kaniko (a Step run by the step
// helper, a Checksum verified after the build). It also returns the
// Dockerfile kaniko should build: the input, but for the BuildKit-only
// forms rewritten, the COPY and ADD of the build context given
// --chown=0:0 (kaniko would keep the checkout's owners; BuildKit's are
// root) and VOLUME taken out (kaniko would drop what is written under it
// later; the builder declares the volumes).
//
// Analyze is pure: it reads no files, makes no network calls and never
// imports kaniko, so it can run during settings validation.
package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/checks"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/health"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/model"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/pulls"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/reach"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/words"
)

// Options, Problem and Result are the front end's interface (package
// model).
type (
	Options  = model.Options
	Problem  = model.Problem
	Result   = model.Result
	StageRun = model.StageRun
)

// Analyze checks src against opts and returns what the builder needs. The
// problems are sorted by line; when there are any, Result.Dockerfile is nil
// and the rest of the Result describes only the instructions that passed.
func Analyze(src []byte, opts Options) (res *Result, problems []Problem) {
	a := &analysis{opts: opts, src: src, res: &Result{History: map[string]string{}}}
	defer func() {
		if r := recover(); r != nil {
			// A panic is a bug here; reporting it keeps the plugin's exit
			// status meaningful instead of crashing validation.
			a.problem(0, fmt.Sprintf("internal error analysing the Dockerfile: %v", r))
			res, problems = a.finish(false)
		}
	}()
	a.directives()
	ast, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		a.problem(errorLine(err), err.Error())
		return a.finish(false)
	}
	a.escape = string(ast.EscapeToken)
	if len(a.opts.Contexts) > 0 {
		ast = a.namedContexts(ast)
	}
	if a.opts.Checks {
		a.buildChecks(ast)
	}
	a.names = reach.Names(ast.AST)
	a.reached = a.reachStages(ast.AST)
	for _, n := range ast.AST.Children {
		a.node(n)
		if len(a.stages) > 0 {
			a.cur().end = n.EndLine
		}
	}
	a.pruneStages(ast.AST)
	a.res.Health = health.Of(ast.AST, a.opts.Target)
	if i := reach.Target(a.names, a.opts.Target); i >= 0 && i < len(a.stages) {
		a.res.Volumes = a.stages[i].volumes
	}
	a.keepFiles()
	a.plan()
	named.History(a.res.History, a.named.Restore)
	return a.finish(true)
}

// analysis is the state of one Analyze call.
type analysis struct {
	opts     Options
	src      []byte
	escape   string
	res      *Result
	problems []Problem
	stages   []stage
	meta     map[string]string // global ARGs, for FROM
	// written holds the created_by of every instruction left as written,
	// so a rewritten one never gets a created_by that is already taken.
	written map[string]bool
	pending []rewrite
	chowned []rewrite // COPY and ADD of the context, given --chown=0:0
	pulls   pulls.Set
	edits   []edits.Edit
	names   []string     // every stage's name, lower-cased, "" when unnamed
	reached []bool       // by stage: the target needs it (nil: all do)
	named   named.Result // what the named contexts rewrote (Restore, Shift)
}

// stage is what is known statically about a build stage.
type stage struct {
	name  string
	shell []string
	files stageFiles // its WORKDIR, where known
	vars  words.Vars // its build variables known before the build
	// end is the last physical line of the stage's last instruction; kept
	// lists the sources later RUNs mount from the stage (see keepFiles).
	end     int
	kept    []string
	volumes []string // declared by VOLUME here and in the stages it is built on
}

// problem refuses the Dockerfile, unless the finding is in a stage the
// target does not need, which is not built.
func (a *analysis) problem(line int, msg string) {
	if !a.unused() {
		a.refuse(line, msg)
	}
}

// refuse refuses the Dockerfile whatever the stage: BuildKit parses every
// instruction, used or not.
func (a *analysis) refuse(line int, msg string) {
	a.problems = append(a.problems, Problem{File: a.opts.File, Line: line, Msg: msg})
}

func (a *analysis) warn(line int, msg string) {
	if a.unused() {
		return
	}
	a.res.Warnings = append(a.res.Warnings, Problem{File: a.opts.File, Line: line, Msg: msg})
}

func (a *analysis) finish(complete bool) (*Result, []Problem) {
	a.unshift()
	a.res.Pulls, a.res.PullsUnknown = a.pulls.Registries, a.pulls.Unknown
	sort.SliceStable(a.problems, func(i, j int) bool { return a.problems[i].Line < a.problems[j].Line })
	sort.SliceStable(a.res.Warnings, func(i, j int) bool { return a.res.Warnings[i].Line < a.res.Warnings[j].Line })
	if complete && len(a.problems) == 0 {
		a.res.Dockerfile = edits.Apply(a.src, a.edits)
	} else {
		a.res.Dockerfile = nil
	}
	return a.res, a.problems
}

// errorLine is the first line a BuildKit error points at, or 0.
func errorLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return le.Locations[0][0].Start.Line
	}
	return 0
}

// node checks one instruction. Each is parsed on its own, rather than with
// instructions.Parse, so that every faulty instruction is reported.
func (a *analysis) node(n *parser.Node) {
	line := n.StartLine
	name := strings.ToUpper(n.Value)
	if c, crash := checks.CrashesKaniko(n); crash {
		// BuildKit's linter reads it (below); kaniko's parser would crash on it.
		l := edits.CommentLine(a.src, line, c)
		if l == 0 {
			a.problem(line, "# "+c+" above "+name+": kaniko's parser crashes on per-instruction check rules; remove the comment")
			return
		}
		a.edits = append(a.edits, edits.Edit{Start: l, End: l})
	}
	// A complete linter: BuildKit writes to its rule maps when a comment
	// above the instruction holds a check= directive.
	v, err := instructions.ParseInstructionWithLinter(n, linter.New(&linter.Config{}))
	if err != nil {
		if name == "RUN" && a.runModes(n) {
			return
		}
		var unknown *instructions.UnknownInstructionError
		if !errors.As(err, &unknown) {
			err = fmt.Errorf("%s: %w", name, err)
		}
		a.refuse(line, err.Error())
		return
	}
	if st, ok := v.(*instructions.Stage); ok {
		a.from(n, st)
		return
	}
	if c, ok := v.(*instructions.ArgCommand); ok && len(a.stages) == 0 {
		a.noFlags(n, name)
		a.metaArg(c)
		return // a global ARG, before the first FROM
	}
	if len(a.stages) == 0 {
		a.problem(line, name+": no build stage in current context (the first instruction must be FROM)")
		return
	}
	a.command(n, name, v)
}

// command checks an instruction inside a stage.
func (a *analysis) command(n *parser.Node, name string, v any) {
	line := n.StartLine
	keep := true
	switch c := v.(type) {
	case *instructions.RunCommand:
		a.noteRun(n.StartLine)
		keep = !a.run(n, c)
	case *instructions.CopyCommand:
		keep = !a.copyCmd(n, c)
	case *instructions.AddCommand:
		keep = !a.add(n, c)
	case *instructions.VolumeCommand:
		keep = !a.volume(n, c)
	case *instructions.ShellCommand:
		a.cur().shell = append([]string(nil), c.Shell...)
	case *instructions.WorkdirCommand:
		a.cur().files.workdir(c.Path)
	case *instructions.HealthCheckCommand:
		a.healthcheck(n, c)
	case *instructions.MaintainerCommand:
		a.warn(line, "MAINTAINER: kaniko ignores it, so the image author stays unset (use LABEL org.opencontainers.image.authors=...)")
	case *instructions.ArgCommand:
		a.noFlags(n, name)
		a.stageArg(c)
	case *instructions.EnvCommand:
		a.stageEnv(c)
	case *instructions.StopSignalCommand:
		a.noFlags(n, name)
	}
	if keep {
		if a.written == nil {
			a.written = map[string]bool{}
		}
		a.written[strings.TrimSpace(n.Original)] = true
	}
}

// noFlags refuses flags on instructions whose BuildKit parser never reads
// them, so they would be dropped by BuildKit and kaniko alike.
func (a *analysis) noFlags(n *parser.Node, name string) {
	for _, f := range n.Flags {
		a.problem(n.StartLine, fmt.Sprintf("%s %s: %s takes no flags", name, f, name))
	}
}

// cur is the stage being read; callers make sure there is one.
func (a *analysis) cur() *stage {
	return &a.stages[len(a.stages)-1]
}

// flagValues returns the values of every --name=value flag of n, in order.
func flagValues(n *parser.Node, name string) []string {
	var out []string
	for _, f := range n.Flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

// buildChecks runs BuildKit's build checks on every stage, used or not, as
// BuildKit parses them all.
func (a *analysis) buildChecks(ast *parser.Result) {
	rep, line, err := checks.Run(a.src, ast)
	if err != nil {
		a.refuse(line, "# check: "+err.Error())
		return
	}
	for _, w := range rep.Warnings {
		p := Problem{File: a.opts.File, Line: w.Line, Msg: w.Msg}
		if rep.Error {
			a.problems = append(a.problems, p)
		} else {
			a.res.Warnings = append(a.res.Warnings, p)
		}
	}
}
