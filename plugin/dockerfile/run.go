package dockerfile

import (
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

// run checks a RUN instruction and reports whether it must be rewritten.
//
// --network=default and host are kept as they are: kaniko runs commands in
// the build container's own network, which is what both modes give.
// --security=sandbox is the default. None of them needs a rewrite.
func (a *analysis) run(n *parser.Node, c *instructions.RunCommand) bool {
	line := n.StartLine
	ok := true
	if instructions.GetNetwork(c) == instructions.NetworkNone {
		a.warn(line, "RUN --network=none: cannot be enforced in-process; the command runs with the build's network")
	}
	if instructions.GetSecurity(c) == instructions.SecurityInsecure {
		a.problem(line, "RUN --security=insecure: cannot grant extra privileges here")
		ok = false
	}
	for _, d := range flagValues(n, "device") {
		a.problem(line, "RUN --device="+d+": devices cannot be attached here")
		ok = false
	}
	mounts, good := a.mounts(n)
	ok = ok && good
	if len(n.Heredocs) == 0 && len(mounts) == 0 {
		return false
	}
	args, script, good := a.runArgs(n, c)
	if !ok || !good {
		return true // refused; nothing is rewritten while problems remain
	}
	st := a.newStep(n, "run")
	if c.PrependShell {
		st.Command = strings.Join(c.CmdLine, " ")
	} else {
		st.Exec = c.CmdLine
	}
	st.Args, st.Script, st.Mounts = args, script, mounts
	if instructions.GetNetwork(c) == instructions.NetworkNone {
		st.Network = instructions.NetworkNone
	}
	// Only a plain heredoc can be handed to kaniko as an exec-form RUN;
	// mounts and scripts need the helper.
	a.pending = append(a.pending, rewrite{line: line, end: n.EndLine, step: st, shell: len(mounts) == 0 && script == ""})
	return true
}

// runModes reports unknown --network and --security values naming the
// flag, which BuildKit's own message does not; it returns whether it found
// any.
func (a *analysis) runModes(n *parser.Node) bool {
	found := false
	for _, v := range flagValues(n, "network") {
		if v != instructions.NetworkDefault && v != instructions.NetworkHost && v != instructions.NetworkNone {
			a.problem(n.StartLine, "RUN --network="+v+": unknown network mode (want default, host or none)")
			found = true
		}
	}
	for _, v := range flagValues(n, "security") {
		if v != instructions.SecuritySandbox && v != instructions.SecurityInsecure {
			a.problem(n.StartLine, "RUN --security="+v+": unknown security mode (want sandbox)")
			found = true
		}
	}
	return found
}

// runArgs computes the command BuildKit executes for a RUN (see
// step.Command), refusing heredocs that cannot be carried there.
func (a *analysis) runArgs(n *parser.Node, c *instructions.RunCommand) ([]string, string, bool) {
	docs := step.Heredocs(n)
	if c.PrependShell {
		for _, h := range docs {
			if !a.textOK(n, h) {
				return nil, "", false
			}
		}
	}
	args, script := step.Command(a.cur().shell, c.CmdLine, c.PrependShell, docs)
	if script != "" && !a.fileName(n, docs[0].Name) {
		return nil, "", false
	}
	return args, script, true
}

// textOK and fileName report the heredoc problems of package step.
func (a *analysis) textOK(n *parser.Node, h Heredoc) bool {
	return a.none(n.StartLine, step.TextProblem(n.Value, h))
}

func (a *analysis) fileName(n *parser.Node, name string) bool {
	return a.none(n.StartLine, step.FileNameProblem(n.Value, name))
}

// none reports msg, if any, and says whether there was none.
func (a *analysis) none(line int, msg string) bool {
	if msg != "" {
		a.problem(line, msg)
	}
	return msg == ""
}

// newStep fills in what every Step shares.
func (a *analysis) newStep(n *parser.Node, kind string) Step {
	cur := a.cur()
	return Step{
		Kind:      kind,
		File:      a.opts.File,
		Line:      n.StartLine,
		Original:  step.Original(n),
		Stage:     len(a.stages) - 1,
		StageName: cur.name,
		Shell:     append([]string(nil), cur.shell...),
		Escape:    a.escape,
		Heredocs:  step.Heredocs(n),
	}
}
