// Package named applies named build contexts (buildx's --build-context,
// bake's contexts) to a Dockerfile, as BuildKit's Dockerfile front end
// does: a context supplies what FROM <name>, COPY --from=<name> and
// RUN --mount=from=<name> read, and replaces a stage of the same name.
//
// kaniko knows no named contexts, so the Dockerfile is rewritten before the
// front end reads it: each use of a context names what kaniko can build
// from instead (the image reference, or the stage that holds a local
// directory's files). Only the words change, so every line keeps its
// number; a replaced stage keeps its FROM line and loses its instructions.
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

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
)

// Context is one named build context: an image (Image, a reference as
// given after docker-image://) or a directory (Dir, absolute).
type Context struct {
	Image string `json:"image,omitempty"`
	Dir   string `json:"dir,omitempty"`
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
	Line int    // of the instruction
	Name string // the context's key
}

// Problem is a use of a context that cannot be rewritten.
type Problem struct {
	Line int
	Msg  string
}

// Rewrite is what Apply made.
type Rewrite struct {
	// Edits turn the Dockerfile into the one kaniko builds.
	Edits []edits.Edit
	// Uses lists every instruction that reads a context.
	Uses []Use
}

// Apply finds the uses of ctxs (by Key) in the parsed Dockerfile src.
// expand expands a FROM's base name with the global ARGs, as BuildKit
// does before it looks the name up; local gives the stage that holds a
// directory context's files (nil: directory contexts are not used).
func Apply(src []byte, ast *parser.Node, ctxs map[string]Context, expand func(string) string, local func(string) string) (Rewrite, []Problem) {
	r := rewriter{lines: strings.SplitAfter(string(src), "\n"), ctxs: ctxs, local: local, changed: map[int]string{}}
	for _, n := range ast.Children {
		if v, err := instructions.ParseInstructionWithLinter(n, linter.New(&linter.Config{})); err == nil {
			if st, ok := v.(*instructions.Stage); ok && st.Name != "" {
				r.stages = append(r.stages, st.Name)
			}
		}
	}
	defined := 0 // stages defined before the instruction
	replaced := false
	for _, n := range ast.Children {
		switch strings.ToLower(n.Value) {
		case "from":
			replaced = r.from(n, expand, defined)
			defined++
		case "copy":
			r.flags(n, replaced, "from")
		case "run":
			r.flags(n, replaced, "mount")
		default:
			if replaced && defined > 0 {
				r.blank(n)
			}
		}
	}
	return r.result(), r.problems
}

type rewriter struct {
	lines    []string
	ctxs     map[string]Context
	local    func(string) string
	stages   []string // every stage's name, in order ("" skipped)
	changed  map[int]string
	blanked  [][2]int
	uses     []Use
	problems []Problem
}

// lookup returns what kaniko reads for the context that name keys, if any.
func (r *rewriter) lookup(name string) (string, string, bool) {
	k, err := Key(name)
	if err != nil {
		return "", "", false
	}
	c, ok := r.ctxs[k]
	switch {
	case !ok || c.Dir != "" && r.local == nil:
		return "", "", false
	case c.Dir != "":
		return r.local(k), k, true
	}
	return c.Image, k, true
}

// from rewrites a FROM: a stage named like a context is replaced by it
// (BuildKit's rule), else a base that is no earlier stage is looked up.
// It reports whether the stage was replaced.
func (r *rewriter) from(n *parser.Node, expand func(string) string, defined int) bool {
	if n.Next == nil {
		return false
	}
	base := n.Next.Value
	name := ""
	if as := n.Next.Next; as != nil && as.Next != nil && strings.EqualFold(as.Value, "as") {
		name = strings.ToLower(as.Next.Value)
	}
	if to, k, ok := r.lookup(name); name != "" && ok {
		r.word(n, base, to, k)
		return true
	}
	if slices.Contains(r.stages[:min(defined, len(r.stages))], strings.ToLower(expand(base))) {
		return false
	}
	if to, k, ok := r.lookup(expand(base)); ok {
		r.word(n, base, to, k)
	}
	return false
}

// flags rewrites COPY --from=<name> and each RUN --mount's from=<name>
// where the name is no stage of the Dockerfile (a stage wins, as in
// BuildKit). In a replaced stage the instruction is dropped instead.
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
		if _, err := strconv.Atoi(old); old == "" || err == nil || slices.Contains(r.stages, strings.ToLower(old)) {
			continue
		}
		if to, k, ok := r.lookup(old); ok {
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

func (r *rewriter) result() Rewrite {
	var out Rewrite
	for l, text := range r.changed {
		out.Edits = append(out.Edits, edits.Edit{Start: l, End: l, Text: text})
	}
	for _, b := range r.blanked {
		out.Edits = append(out.Edits, edits.Edit{Start: b[0], End: b[1]})
	}
	slices.SortFunc(out.Edits, func(a, b edits.Edit) int { return a.Start - b.Start })
	out.Uses = r.uses
	return out
}

// Restore maps each rewritten instruction, as kaniko records it in the
// history (the node's text, trimmed), to the instruction as written: old
// and next are the Dockerfile before and after the rewrite, whose lines
// match.
func Restore(old, next *parser.Node, uses []Use) map[string]string {
	out := map[string]string{}
	for _, u := range uses {
		for _, n := range next.Children {
			for _, o := range old.Children {
				if n.StartLine == u.Line && o.StartLine == u.Line {
					out[strings.TrimSpace(n.Original)] = strings.TrimSpace(o.Original)
				}
			}
		}
	}
	return out
}

// History maps the history of rewritten instructions (created_by ->
// instruction) back to the instructions as written before the contexts
// were applied, with restore from Restore.
func History(history, restore map[string]string) {
	for k, v := range history {
		for n, o := range restore {
			if rest, ok := strings.CutPrefix(v, n); ok {
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
