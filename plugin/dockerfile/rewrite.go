package dockerfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
)

// maxLine keeps a rewritten instruction within the line length BuildKit's
// parser (a bufio.Scanner with its default buffer) accepts; longer
// heredocs go through the helper, whose step file has no such limit.
const maxLine = bufio.MaxScanTokenSize - 64

// rewrite is an instruction that kaniko cannot run as written.
type rewrite struct {
	line, end int
	step      Step
	// shell: kaniko can run step.Args itself as an exec-form RUN.
	shell bool
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
	for _, r := range a.pending {
		if !portable(r.step) {
			a.problem(r.line, "the instruction must be valid UTF-8 text without NUL bytes to be rewritten")
			continue
		}
		orig := r.step.Original
		if !a.bindDigests(&r.step) {
			continue
		}
		text, ok := "", false
		if r.shell {
			text, ok = runLine(r.step.Args)
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
			r.step.ID = stepID(r.step)
			text, _ = runLine([]string{a.opts.Helper, "step", a.opts.StepFile(r.step.ID)})
		} else {
			r.step.ID = stepID(r.step)
		}
		a.res.Steps = append(a.res.Steps, r.step)
		a.res.History[text] = orig
		a.edits = append(a.edits, edits.Edit{Start: r.line, End: r.end, Text: text})
	}
}

// portable reports whether the step survives JSON (which replaces invalid
// UTF-8) and exec (which refuses NUL bytes) unchanged. fmt.Sprint prints
// every string field as its raw bytes.
func portable(s Step) bool {
	all := fmt.Sprint(s)
	return utf8.ValidString(all) && !strings.ContainsRune(all, 0)
}

// helperReady checks that Options can express a helper step.
func (a *analysis) helperReady(line int) bool {
	if path.IsAbs(a.opts.Helper) && path.IsAbs(a.opts.StepDir) {
		return true
	}
	a.problem(0, fmt.Sprintf("internal: line %d needs the step helper, but Options.Helper %q or Options.StepDir %q is not an absolute path", line, a.opts.Helper, a.opts.StepDir))
	return false
}

// runLine renders args as a one-line exec-form RUN. It fails when the line
// would be too long for kaniko's parser.
func runLine(args []string) (string, bool) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Plain < > & keep the history readable; JSON does not need them escaped.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return "", false
	}
	line := "RUN " + string(bytes.TrimRight(b.Bytes(), "\n"))
	return line, len(line) <= maxLine
}

// stepID is the hex sha256 of the step's JSON with the ID left empty.
func stepID(s Step) string {
	s.ID = ""
	b, err := json.Marshal(s)
	if err != nil {
		// Step holds only strings, numbers and booleans.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
