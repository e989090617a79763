package named

import (
	"bytes"
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

// StagePrefix names the stage that holds a directory context's files.
// kaniko reads files only from the build context, a stage or an image: a
// directory context becomes a FROM scratch stage, added before the first
// FROM, whose one step (Kind "context") places the directory's files in
// it. FROM, COPY --from and RUN --mount from= then read that stage, and a
// stage index of COPY --from moves past the added stages.
const StagePrefix = "kaniko-ecr-context-"

// Shift says where the added stages' lines are: N lines before line At
// of the Dockerfile as written (N is 0 when none were added).
type Shift struct{ At, N int }

// Line maps a line of the Dockerfile kaniko builds to the Dockerfile as
// written; the added lines map to its first FROM.
func (s Shift) Line(l int) int {
	switch {
	case l >= s.At+s.N:
		return l - s.N
	case l >= s.At:
		return s.At
	}
	return l
}

// Lines maps the line of each element of xs (see Line).
func Lines[T any](s Shift, xs []T, line func(*T) *int) {
	for i := range xs {
		p := line(&xs[i])
		*p = s.Line(*p)
	}
}

// result adds the directory contexts' stages and reads the Dockerfile
// kaniko builds.
func (r *rewriter) result(src []byte, ast *parser.Result) Result {
	out := Result{Src: src, AST: ast}
	for _, x := range r.indexes {
		if i, err := strconv.Atoi(strings.TrimPrefix(x.flag, "--from=")); err == nil && len(r.order) > 0 {
			r.word(x.n, x.flag, "--from="+strconv.Itoa(i+len(r.order)), "")
		}
	}
	var es []edits.Edit
	for l, text := range r.changed {
		es = append(es, edits.Edit{Start: l, End: l, Text: text})
	}
	for _, b := range r.blanked {
		es = append(es, edits.Edit{Start: b[0], End: b[1]})
	}
	if len(r.order) > 0 {
		out.Shift = Shift{At: r.first, N: 2 * len(r.order)}
		es = append(es, edits.Edit{Start: r.first, End: r.first - 1, Text: r.addedStages(&out)})
	}
	for _, p := range r.problems {
		p.Line += out.Shift.N * boolInt(p.Line >= r.first)
		out.Problems = append(out.Problems, p)
	}
	if len(es) == 0 {
		return out
	}
	slices.SortFunc(es, func(a, b edits.Edit) int { return a.Start - b.Start })
	next, err := parser.Parse(bytes.NewReader(edits.Apply(src, es)))
	if err != nil {
		out.Problems = append(out.Problems, Problem{0, "internal: the Dockerfile with the build contexts applied does not parse: " + err.Error()})
		return out
	}
	out.Src, out.AST = edits.Apply(src, es), next
	out.Restore = map[string]string{}
	for _, u := range r.uses {
		for _, n := range next.AST.Children {
			for _, o := range ast.AST.Children {
				if o.StartLine == u.Line && n.StartLine == u.Line+out.Shift.N*boolInt(u.Line >= r.first) {
					out.Restore[strings.TrimSpace(n.Original)] = strings.TrimSpace(o.Original)
				}
			}
		}
	}
	return out
}

// addedStages is the text of the directory contexts' stages, and their steps.
func (r *rewriter) addedStages(out *Result) string {
	var lines []string
	for i, k := range r.order {
		c := r.o.Contexts[k]
		st := step.Step{
			Kind: "context", Helper: true, File: r.o.File, Line: r.first, Original: "[context " + k + "]",
			Stage: i, StageName: StagePrefix + strconv.Itoa(i), Dir: c.Dir, Digest: c.Digest, Excludes: c.Excludes, Dest: contextRoot,
		}
		st.ID = step.ID(st)
		run, _ := step.RunLine([]string{r.o.Helper, "step", path.Join(r.o.StepDir, st.ID+".json")})
		out.Steps = append(out.Steps, st)
		lines = append(lines, "FROM scratch AS "+st.StageName, run)
	}
	return strings.Join(lines, "\n")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// contextRoot is where a directory context's stage holds its files: under
// a directory of their own, since kaniko cannot copy a stage's whole root
// (it would read /proc).
const contextRoot = "/kaniko-ecr-context"

// inRoot is a source of a directory context in its stage.
func inRoot(src string) string { return contextRoot + "/" + strings.TrimPrefix(src, "/") }

// copyLine rewrites a COPY --from a directory context: flag becomes to,
// and each source is taken under contextRoot.
func (r *rewriter) copyLine(n *parser.Node, flag, to, key string) {
	var flags, words []string
	for _, f := range n.Flags {
		flags = append(flags, strings.Replace(f, flag, to, 1))
	}
	for w := n.Next; w != nil; w = w.Next {
		words = append(words, w.Value)
	}
	for i := range words[:max(len(words)-1, 0)] {
		words[i] = inRoot(words[i])
	}
	args := strings.Join(words, " ")
	if n.Attributes["json"] {
		b, _ := json.Marshal(words)
		args = string(b)
	}
	r.changed[n.StartLine] = strings.Join(append(append([]string{strings.ToUpper(n.Value)}, flags...), args), " ")
	if n.EndLine > n.StartLine {
		r.blanked = append(r.blanked, [2]int{n.StartLine + 1, n.EndLine})
	}
	r.uses = append(r.uses, Use{Line: n.StartLine, Name: key})
}

// dirMount is a --mount value that reads a directory context's stage.
func dirMount(v, stage string) string {
	fields := strings.Split(v, ",")
	source := false
	for i, f := range fields {
		k, val, _ := strings.Cut(f, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "from":
			fields[i] = k + "=" + stage
		case "source", "src":
			fields[i], source = k+"="+inRoot(val), true
		}
	}
	if !source {
		fields = append(fields, "source="+contextRoot)
	}
	return strings.Join(fields, ",")
}
