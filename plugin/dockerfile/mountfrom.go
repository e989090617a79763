package dockerfile

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/mounts"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

// mountFrom resolves the from= of a bind or cache mount as BuildKit does:
// the name of a stage defined before the instruction, or else an image
// (BuildKit never expands variables in from). It returns a message for a
// problem, or "".
func (a *analysis) mountFrom(m *Mount) string {
	if m.From == "" || m.Type != "bind" && m.Type != "cache" {
		return ""
	}
	low := strings.ToLower(m.From)
	for i, st := range a.stages[:len(a.stages)-1] {
		if st.name != "" && st.name == low {
			m.FromStage = &i
			return a.keepMounted(i, m)
		}
	}
	if slices.Contains(a.names, low) {
		return fmt.Sprintf("stage %q is not built before this instruction (BuildKit refuses it too)", m.From)
	}
	if strings.Contains(m.From, "$") {
		return "from does not expand variables (BuildKit's rule); name a stage or an image"
	}
	if _, err := name.ParseReference(m.From); err != nil {
		return fmt.Sprintf("%q is neither a stage of this Dockerfile nor an image reference: %v", m.From, err)
	}
	m.FromImage = true
	a.pull(m.From)
	return ""
}

// keepMounted records that the mount needs a source of stage i kept after
// that stage is built (see keepFiles).
func (a *analysis) keepMounted(i int, m *Mount) string {
	if strings.ContainsAny(m.Source, "$*?[ \t'\"\\`") {
		return "a source taken from a stage cannot hold variables, wildcards, quotes, spaces or escapes here"
	}
	if a.unused() {
		return "" // the stage that mounts is not built
	}
	x := &a.stages[i]
	x.kept = append(x.kept, path.Clean("/"+m.Source))
	return ""
}

// keepFiles makes kaniko keep what later RUNs mount of a stage. kaniko
// deletes a stage's files when it ends and keeps only what a later COPY
// --from names, by copying it into the next layer. So a step the helper
// runs is added at the end of the mounted stage: the step server copies
// the mounted sources out of the build root into its own directory, which
// kaniko never snapshots, so the step leaves no layer and no history. Its
// line holds Result.CacheBuster, which the builder replaces with a value
// of its own for each build: kaniko's layer cache must never skip it.
//
// kaniko does not see a mount as a use of the stage; the builder makes
// sure that kaniko does not skip a stage that a step mounts from.
func (a *analysis) keepFiles() {
	for i, st := range a.stages {
		if len(st.kept) == 0 {
			continue
		}
		if a.res.CacheBuster == "" {
			a.res.CacheBuster = edits.AbsentToken(a.src)
		}
		if line, ok := a.keepStep(i, st); ok {
			a.edits = append(a.edits, edits.Edit{Start: st.end + 1, End: st.end, Text: line})
		}
	}
}

// keepStep is the step that keeps stage i's mounted sources, and its line.
func (a *analysis) keepStep(i int, st stage) (string, bool) {
	if !a.helperReady(st.end) {
		return "", false
	}
	paths := mounts.Outermost(st.kept)
	keep := Step{
		Kind: "keep", Helper: true, File: a.opts.File, Line: st.end, Stage: i, StageName: st.name,
		Shell: append([]string(nil), st.shell...), Escape: a.escape, Keep: paths,
	}
	keep.ID = step.ID(keep)
	a.res.Steps = append(a.res.Steps, keep)
	line, _ := step.RunLine([]string{a.opts.Helper, "step", a.opts.StepFile(keep.ID), a.res.CacheBuster})
	return line, true
}
