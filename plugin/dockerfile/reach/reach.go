// Package reach finds the stages of a Dockerfile that a target needs.
// BuildKit builds only those (kaniko does with --skip-unused-stages), so
// only those can fail a build or pull an image.
package reach

import (
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
)

// stage is what the walk knows of a stage: its name and the stages or
// images its FROM, COPY --from and RUN --mount from= name.
type stage struct {
	name string
	uses []string
}

// Stages marks, by FROM, the stages the target needs: the target (a stage
// name or index; empty: the last stage) and, transitively, every stage it
// names in FROM, COPY --from or RUN --mount from=. expand resolves a word
// as a FROM is resolved (global ARGs and build args). Nil means the target
// is unknown or there is no stage: the caller treats every stage as needed.
func Stages(ast *parser.Node, target string, expand func(string) string) []bool {
	var stages []stage
	for _, n := range ast.Children {
		switch {
		case strings.EqualFold(n.Value, "from"):
			st := stage{name: strings.ToLower(Name(n))}
			if n.Next != nil {
				st.uses = append(st.uses, expand(n.Next.Value))
			}
			stages = append(stages, st)
		case len(stages) > 0:
			cur := &stages[len(stages)-1]
			cur.uses = append(cur.uses, flagRefs(n, expand)...)
		}
	}
	return mark(stages, strings.ToLower(target))
}

// Name is the name a FROM gives its stage, as written ("" for none).
func Name(from *parser.Node) string {
	var args []string
	for x := from.Next; x != nil; x = x.Next {
		args = append(args, x.Value)
	}
	if len(args) == 3 && strings.EqualFold(args[1], "as") {
		return args[2]
	}
	return ""
}

// flagRefs are the stages or images an instruction's --from and --mount
// from= flags name.
func flagRefs(n *parser.Node, expand func(string) string) []string {
	var out []string
	for _, f := range n.Flags {
		switch {
		case strings.HasPrefix(f, "--from="):
			out = append(out, expand(strings.TrimPrefix(f, "--from=")))
		case strings.HasPrefix(f, "--mount="):
			for _, field := range strings.Split(strings.TrimPrefix(f, "--mount="), ",") {
				if k, v, ok := strings.Cut(field, "="); ok && strings.EqualFold(strings.TrimSpace(k), "from") {
					out = append(out, expand(strings.Trim(strings.TrimSpace(v), `"'`)))
				}
			}
		}
	}
	return out
}

// mark walks the stages' references from the target.
func mark(stages []stage, target string) []bool {
	if len(stages) == 0 {
		return nil
	}
	names := make([]string, len(stages))
	for i, st := range stages {
		names[i] = st.name
	}
	index := func(ref string) int { return find(names, ref) }
	start := Target(names, target)
	if start < 0 {
		return nil // an unknown target is reported elsewhere
	}
	reached := make([]bool, len(stages))
	todo := []int{start}
	for len(todo) > 0 {
		i := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if reached[i] {
			continue
		}
		reached[i] = true
		for _, ref := range stages[i].uses {
			if j := index(ref); j >= 0 && !reached[j] {
				todo = append(todo, j)
			}
		}
	}
	return reached
}

// Target is the index of the target among stages of these names
// (lower-cased, "" when unnamed): a stage name or index; empty, the last
// stage. -1 when there is no such stage.
func Target(names []string, target string) int {
	if target == "" {
		return len(names) - 1
	}
	return find(names, target)
}

// find is the index of the stage a reference names, by name or index, or -1.
func find(names []string, ref string) int {
	ref = strings.ToLower(ref)
	for i, n := range names {
		if n != "" && n == ref {
			return i
		}
	}
	if i, err := strconv.Atoi(ref); err == nil && i >= 0 && i < len(names) {
		return i
	}
	return -1
}

// Names lists the name of every stage of the Dockerfile, lower-cased, ""
// for an unnamed one, before any stage is read: a mount may name a stage
// defined after it, which BuildKit refuses by name.
func Names(root *parser.Node) []string {
	var out []string
	for _, n := range root.Children {
		if !strings.EqualFold(n.Value, "from") {
			continue
		}
		name := ""
		if n.Next != nil && n.Next.Next != nil && strings.EqualFold(n.Next.Next.Value, "as") && n.Next.Next.Next != nil {
			name = strings.ToLower(n.Next.Next.Next.Value)
		}
		out = append(out, name)
	}
	return out
}

// Prune returns the edits that turn each stage not reached into an empty
// scratch stage that keeps its name and index (so COPY --from=<index>
// still names the same stage); lines is the number of lines of the
// Dockerfile. Each edit spans the whole stage, to the line before the
// next FROM. kaniko then builds exactly the stages BuildKit builds; its
// own --skip-unused-stages cannot be trusted with this: it builds every
// stage when the last one names no other, and drops unnamed stages that a
// later one names by index.
func Prune(root *parser.Node, reached []bool, lines int) []edits.Edit {
	var froms []*parser.Node
	for _, n := range root.Children {
		if strings.EqualFold(n.Value, "from") {
			froms = append(froms, n)
		}
	}
	var out []edits.Edit
	for i, n := range froms {
		if i >= len(reached) || reached[i] {
			continue
		}
		end := lines
		if i+1 < len(froms) {
			end = froms[i+1].StartLine - 1
		}
		text := "FROM scratch"
		if name := Name(n); name != "" {
			text += " AS " + name
		}
		out = append(out, edits.Edit{Start: n.StartLine, End: end, Text: text})
	}
	return out
}
