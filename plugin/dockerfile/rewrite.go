package dockerfile

import (
	"cmp"
	"fmt"
	"path"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/copyflags"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

// rewrite is an instruction that kaniko cannot run as written.
type rewrite struct {
	line, end int
	step      Step
	// shell: kaniko can run step.Args itself as an exec-form RUN.
	shell bool
	// text: the line kaniko runs instead, when no step is needed.
	text string
}

// plan decides the replacement line of every pending rewrite and fills in
// Steps and History.
//
// A replacement is an exec-form RUN. kaniko passes exec-form arguments to
// the process unchanged: pkg/commands/run.go only resolves argv[0] through
// PATH, and neither kaniko nor BuildKit's RunCommand expands variables in
// CmdLine. So a heredoc body in ["/bin/sh","-c",body] reaches the shell
// as written, $VARs included, as it does under BuildKit.
//
// kaniko records created_by as the instruction's String(), which is the
// instruction's source line trimmed, i.e. exactly the replacement line;
// History maps it back to the instruction as written.
func (a *analysis) plan() {
	for _, r := range a.chowned {
		if !a.written[r.text] {
			a.res.History[r.text] = r.step.Original
		}
		a.edits = append(a.edits, edits.Edit{Start: r.line, End: r.end, Text: r.text})
	}
	for _, r := range a.pending {
		if !step.Portable(r.step) {
			a.problem(r.line, "the instruction must be valid UTF-8 text without NUL bytes to be rewritten")
			continue
		}
		orig := r.step.Original
		if !a.bindDigests(&r.step) {
			continue
		}
		if err := copyflags.Digest(&r.step, a.opts.SelectHash); err != nil {
			a.problem(r.line, err.Error())
			continue
		}
		text, ok := "", false
		if r.shell {
			text, ok = step.RunLine(r.step.Args)
			// A created_by that is taken by another instruction would
			// make the history ambiguous; the helper's line is unique.
			if prev, seen := a.res.History[text]; ok && (a.written[text] || seen && prev != orig) {
				ok = false
			}
		}
		if !ok {
			if !a.helperReady(r.line) {
				continue
			}
			r.step.Helper = true
			r.step.ID = step.ID(r.step)
			args := []string{a.opts.Helper, "step", a.opts.StepFile(r.step.ID)}
			if r.step.FromStage != nil { // a stage's files: never cached
				a.res.CacheBuster = cmp.Or(a.res.CacheBuster, edits.AbsentToken(a.src))
				args = append(args, a.res.CacheBuster)
			}
			text, _ = step.RunLine(args)
		} else {
			r.step.ID = step.ID(r.step)
		}
		a.res.Steps = append(a.res.Steps, r.step)
		a.res.History[text] = orig
		a.edits = append(a.edits, edits.Edit{Start: r.line, End: r.end, Text: text})
	}
}

// helperReady checks that Options can express a helper step.
func (a *analysis) helperReady(line int) bool {
	if path.IsAbs(a.opts.Helper) && path.IsAbs(a.opts.StepDir) {
		return true
	}
	a.problem(0, fmt.Sprintf("internal: line %d needs the step helper, but Options.Helper %q or Options.StepDir %q is not an absolute path", line, a.opts.Helper, a.opts.StepDir))
	return false
}

// bindDigests records the content of each bind mount's source from the
// build context in the step, so that the step's id, and with it kaniko's
// cache key, changes when those files change, as BuildKit's does. A source
// that names variables is only known at build time: the whole context
// stands for it then.
func (a *analysis) bindDigests(st *Step) bool {
	for i := range st.Mounts {
		m := &st.Mounts[i]
		if m.Type != "bind" || m.From != "" || a.opts.ContentHash == nil {
			continue
		}
		src := path.Clean("/" + m.Source)[1:]
		if strings.Contains(m.Source, "$") {
			src = ""
		}
		d, err := a.opts.ContentHash(src)
		if err != nil {
			a.problem(st.Line, fmt.Sprintf("RUN --mount=type=bind,source=%s: %v", m.Source, err))
			return false
		}
		m.Digest = d
	}
	return true
}
