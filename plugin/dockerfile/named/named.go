// Package named applies named build contexts (buildx's --build-context,
// bake's contexts) to a Dockerfile, as BuildKit's Dockerfile front end
// does: a context supplies what FROM <name>, COPY --from=<name> and
// RUN --mount=from=<name> read, and replaces a stage of the same name.
//
// kaniko knows no named contexts, so the Dockerfile is rewritten before the
// front end reads it: each use of a context names what kaniko can build
// from instead (the image reference, or the stage that holds a local
// directory's files). Only words change, so every line keeps its number
// but for the stages directory contexts add before the first FROM (see
// Shift); a replaced stage keeps its FROM line and loses its instructions.
package named

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

// Context is one named build context: an image (Image, a reference as
// given after docker-image://) or a directory (Dir, absolute).
type Context struct {
	Image string `json:"image,omitempty"`
	Dir   string `json:"dir,omitempty"`
	// Digest is a digest of the directory's files (names, modes, links,
	// contents) but what Excludes (its .dockerignore) leaves out.
	Digest   string   `json:"digest,omitempty"`
	Excludes []string `json:"excludes,omitempty"`
}

// Key is the name BuildKit looks a context up by: the familiar form of
// the name read as an image reference, without ":latest" (so a context
// "alpine" serves FROM alpine, FROM alpine:latest and FROM
// docker.io/library/alpine). It fails for what is no image name.
func Key(name string) (string, error) {
	n, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(reference.FamiliarString(n), ":latest"), nil
}

// Use is one rewritten use of a context.
type Use struct {
	Line int    // of the instruction, in the Dockerfile as written
	Name string // the context's key ("" for a stage index moved)
}

// Problem is a use of a context that cannot be rewritten.
type Problem struct {
	Line int // in the Dockerfile kaniko builds (see Shift)
	Msg  string
}

// Options is what Apply needs.
type Options struct {
	Contexts map[string]Context // by Key
	// Expand expands a FROM's base name with the global ARGs, as BuildKit
	// does before it looks the name up.
	Expand func(string) string
	// File, Helper and StepDir are the front end's (dockerfile.Options):
	// a directory context is a stage of its own, made by a helper step.
	File, Helper, StepDir string
}

// Result is what Apply made.
type Result struct {
	Src []byte         // the Dockerfile kaniko builds (src when unchanged)
	AST *parser.Result // Src parsed
	// Restore maps each rewritten instruction, as kaniko records it in
	// the history, to the instruction as written (see History).
	Restore  map[string]string
	Steps    []step.Step // the steps of the directory contexts' stages
	Shift    Shift
	Problems []Problem
}

// Apply rewrites every use of a context in the parsed Dockerfile src.
func Apply(src []byte, ast *parser.Result, o Options) Result {
	r := rewriter{lines: strings.SplitAfter(string(src), "\n"), o: o, changed: map[int]string{}, local: map[string]int{}}
	for _, n := range ast.AST.Children {
		if v, err := instructions.ParseInstructionWithLinter(n, linter.New(&linter.Config{})); err == nil {
			if st, ok := v.(*instructions.Stage); ok && st.Name != "" {
				r.stages = append(r.stages, st.Name)
			}
		}
	}
	defined := 0 // stages defined before the instruction
	replaced := false
	for _, n := range ast.AST.Children {
		switch strings.ToLower(n.Value) {
		case "from":
			if defined == 0 {
				r.first = n.StartLine
			}
			replaced = r.from(n)
			defined++
		case "copy", "run":
			// Before the first FROM there is no stage to add a context's
			// to: the front end refuses the line.
			if defined > 0 {
				r.flags(n, replaced, map[string]string{"copy": "from", "run": "mount"}[strings.ToLower(n.Value)])
			}
		default:
			if replaced && defined > 0 {
				r.blank(n)
			}
		}
	}
	return r.result(src, ast)
}

// indexFrom is a COPY --from=<stage index> and its flag as written.
type indexFrom struct {
	n    *parser.Node
	flag string
}

type rewriter struct {
	lines    []string
	o        Options
	first    int            // the line of the first FROM
	local    map[string]int // directory contexts used -> their stage's index
	order    []string       // of local's keys
	indexes  []indexFrom    // COPY --from=<stage index>
	stages   []string       // every stage's name, in order ("" skipped)
	defined  []string       // the names of the stages read so far
	changed  map[int]string
	blanked  [][2]int
	uses     []Use
	problems []Problem
}

// lookup returns what kaniko reads for the context that name keys, if
// any; use records a directory context's stage as used.
func (r *rewriter) lookup(name string, use bool) (string, string, bool) {
	k, err := Key(name)
	if err != nil {
		return "", "", false
	}
	c, ok := r.o.Contexts[k]
	switch {
	case !ok:
		return "", "", false
	case c.Dir != "" && !use:
		return "", k, true
	case c.Dir != "":
		if _, seen := r.local[k]; !seen {
			r.local[k] = len(r.order)
			r.order = append(r.order, k)
		}
		return StagePrefix + strconv.Itoa(r.local[k]), k, true
	}
	return c.Image, k, true
}

// from rewrites a FROM: a stage named like a context is replaced by it
// (BuildKit's rule), else a base that is no earlier stage is looked up.
// It reports whether the stage was replaced. A directory context serves
// COPY --from and RUN --mount from= only: a stage it replaces is left
// empty here (its readers read the context's stage), and a FROM of it is
// refused.
func (r *rewriter) from(n *parser.Node) bool {
	if n.Next == nil {
		return false
	}
	base := n.Next.Value
	name := ""
	if as := n.Next.Next; as != nil && as.Next != nil && strings.EqualFold(as.Value, "as") {
		name = strings.ToLower(as.Next.Value)
	}
	earlier := r.defined
	r.defined = append(r.defined, name)
	if _, k, ok := r.lookup(name, false); ok {
		to, _, _ := r.lookup(name, true)
		if r.o.Contexts[k].Dir != "" {
			to = "scratch"
		}
		r.word(n, base, to, k)
		return true
	}
	low := strings.ToLower(r.o.Expand(base))
	_, k, ok := r.lookup(low, false)
	switch {
	case ok && r.o.Contexts[k].Dir != "":
		r.problems = append(r.problems, Problem{n.StartLine, fmt.Sprintf("FROM %s: build context %q is a directory, which only COPY --from and RUN --mount from= can read here", base, k)})
	case slices.Contains(earlier, low):
	case ok:
		to, _, _ := r.lookup(low, true)
		r.word(n, base, to, k)
	}
	return false
}

// flags rewrites COPY --from=<name> and each RUN --mount's from=<name>
// where the name is no stage of the Dockerfile (a stage wins, as in
// BuildKit), or names a directory context (which replaced that stage). In
// a replaced stage the instruction is dropped instead.
func (r *rewriter) flags(n *parser.Node, replaced bool, flag string) {
	if replaced {
		r.blank(n)
		return
	}
	for _, f := range n.Flags {
		v, ok := strings.CutPrefix(f, "--"+flag+"=")
		if !ok {
			continue
		}
		old, pre := v, ""
		if flag == "mount" {
			old, pre = mountFrom(v)
		}
		_, err := strconv.Atoi(old)
		if err == nil && flag == "from" {
			r.indexes = append(r.indexes, indexFrom{n, f})
		}
		_, k, ok := r.lookup(old, false)
		dir := ok && r.o.Contexts[k].Dir != ""
		if old == "" || err == nil || !ok || slices.Contains(r.stages, strings.ToLower(old)) && !dir {
			continue
		}
		to, _, _ := r.lookup(old, true)
		switch {
		case dir && flag == "from":
			r.copyLine(n, f, "--from="+to, k)
		case dir:
			r.word(n, f, "--mount="+dirMount(v, to), k)
		default:
			r.word(n, f, strings.Replace(f, pre+old, pre+to, 1), k)
		}
	}
}

// mountFrom returns the from= value of a --mount and the text before it.
func mountFrom(v string) (from, pre string) {
	for _, field := range strings.Split(v, ",") {
		if k, val, ok := strings.Cut(field, "="); ok && strings.EqualFold(strings.TrimSpace(k), "from") {
			return val, field[:len(field)-len(val)]
		}
	}
	return "", ""
}

// word replaces the first old on the instruction's physical lines (after
// its keyword) by to.
func (r *rewriter) word(n *parser.Node, old, to, key string) {
	for l := n.StartLine; l <= n.EndLine && l <= len(r.lines); l++ {
		text, ok := r.changed[l]
		if !ok {
			text = strings.TrimRight(r.lines[l-1], "\r\n")
		}
		from := 0
		if l == n.StartLine {
			from = strings.Index(strings.ToLower(text), strings.ToLower(n.Value)) + len(n.Value)
		}
		if i := strings.Index(text[max(from, 0):], old); i >= 0 && from >= 0 {
			i += from
			r.changed[l] = text[:i] + to + text[i+len(old):]
			r.uses = append(r.uses, Use{Line: n.StartLine, Name: key})
			return
		}
	}
	r.problems = append(r.problems, Problem{n.StartLine, fmt.Sprintf("%s: cannot rewrite %q for build context %q here: write it on one line", strings.ToUpper(n.Value), old, key)})
}

// blank drops an instruction of a stage that a context replaces.
func (r *rewriter) blank(n *parser.Node) {
	r.blanked = append(r.blanked, [2]int{n.StartLine, n.EndLine})
}

// History maps the history of rewritten instructions (created_by ->
// instruction) back to the instructions as written before the contexts
// were applied, with restore from Restore.
func History(history, restore map[string]string) {
	for k, v := range history {
		for n, o := range restore {
			if rest, ok := strings.CutPrefix(v, n); ok && (rest == "" || rest[0] == '\n') {
				history[k] = o + rest
			}
		}
	}
	for n, o := range restore {
		if _, ok := history[n]; !ok {
			history[n] = o
		}
	}
}
