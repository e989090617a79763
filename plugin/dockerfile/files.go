package dockerfile

import (
	"path"
	"strings"
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
