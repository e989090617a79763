package dockerfile

import (
	"path"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// stageFiles is what the Dockerfile alone says about a stage's file
// system: its WORKDIR, known when the stage or one it is built on sets it
// (an image's WORKDIR is only seen during the build), or for scratch.
type stageFiles struct {
	dir string // the WORKDIR, absolute; "" when unknown
}

// baseFiles is what a stage starts from: what is known of the stage it is
// built on, "/" for scratch, nothing for an image.
func (a *analysis) baseFiles(base string) stageFiles {
	for _, prev := range a.stages {
		if prev.name != "" && prev.name == base {
			return prev.files
		}
	}
	if base == "scratch" {
		return stageFiles{dir: "/"}
	}
	return stageFiles{}
}

// workdir applies WORKDIR p. A relative path is relative to the WORKDIR
// before; one with variables is known only during the build.
func (f *stageFiles) workdir(p string) {
	switch {
	case strings.ContainsAny(p, "$'\"\\`"):
		f.dir = ""
	case path.IsAbs(p):
		f.dir = path.Clean(p)
	case f.dir != "":
		f.dir = path.Join(f.dir, p)
	}
}

// stageNames lists the name of every stage of the Dockerfile, lower-cased,
// "" for an unnamed one, before any stage is read: a mount may name a
// stage defined after it, which BuildKit refuses by name.
func stageNames(root *parser.Node) []string {
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
