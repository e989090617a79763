package step

import (
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// scriptDir is where BuildKit mounts a shebang heredoc before running it.
const scriptDir = "/dev/pipes"

// Command computes the command BuildKit executes for a RUN (dispatchRun in
// dockerfile2llb/convert.go), from the stage's SHELL, the RUN's command
// line, whether it is in shell form and its heredocs:
//   - exec form: the arguments as written;
//   - shell form without heredocs: SHELL + the command line;
//   - a single heredoc that is the whole command: SHELL + its body (tabs
//     stripped for <<-), or, if the body starts with #!, the body written
//     to a file and executed;
//   - anything else: SHELL + the command line followed by each body and
//     terminator, so the shell itself reads the heredocs.
//
// script is where the first heredoc's body must be written (Step.Script)
// when it is run as a file, named after its delimiter; "" otherwise.
func Command(shell, cmdLine []string, shellForm bool, docs []Heredoc) (args []string, script string) {
	if !shellForm {
		return cmdLine, ""
	}
	if len(docs) == 0 {
		// Appending, not joining: an empty RUN gives the shell no command,
		// as in BuildKit, rather than an empty one.
		return append(append([]string(nil), shell...), cmdLine...), ""
	}
	cmd := strings.Join(cmdLine, " ")
	if parser.MustParseHeredoc(cmd) != nil {
		body := docs[0].Content()
		if strings.HasPrefix(body, "#!") {
			p := path.Join(scriptDir, docs[0].Name)
			return []string{p}, p
		}
		return withShell(shell, body), ""
	}
	var b strings.Builder
	b.WriteString(cmd)
	for _, h := range docs {
		b.WriteByte('\n')
		b.WriteString(h.Data)
		b.WriteString(h.Name)
	}
	return withShell(shell, b.String()), ""
}

func withShell(shell []string, cmd string) []string {
	return append(append([]string(nil), shell...), cmd)
}
