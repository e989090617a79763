package dockerfile

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// keep is a stage's files that a later stage's RUN mounts, which kaniko
// must keep after building the stage.
type keep struct {
	stage string   // the mounted stage's name
	paths []string // absolute paths in it
}

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

// keepMounted makes sure kaniko keeps the files a mount takes from stage
// i. kaniko keeps a stage's files after building it only for a later
// COPY --from (executor.CalculateDependencies saves them in
// <kaniko dir>/<stage>); keepFiles writes such a COPY for every mounted
// source, at the end of the mounting stage.
func (a *analysis) keepMounted(i int, m *Mount) string {
	src := path.Clean("/" + m.Source)
	if strings.ContainsAny(m.Source, "*?[ \t'\"\\`") {
		return "a source taken from a stage cannot hold wildcards, quotes, spaces or escapes here"
	}
	paths := []string{src}
	if src == "/" {
		f := a.stages[i].files
		if !f.topsSet || len(f.tops) == 0 {
			return fmt.Sprintf("mounting all of stage %q needs its top-level paths, known here only for a stage built FROM scratch by COPY, ADD of heredocs and WORKDIR; give a source", m.From)
		}
		paths = f.list()
	}
	cur := a.cur()
	cur.keeps = append(cur.keeps, keep{stage: a.stages[i].name, paths: paths})
	return ""
}

// keepFiles adds, after the last instruction of every stage that mounts
// files of an earlier stage, a COPY --from of those files into the plugin's
// directory under kaniko's, which kaniko never snapshots: the COPY leaves
// no layer and no history, and makes kaniko save the files where the step
// helper finds them. Its destination holds Result.CacheBuster, which the
// builder replaces with a value of its own for each build, so that kaniko's
// layer cache never returns the (empty) layer of that COPY.
func (a *analysis) keepFiles() {
	for i, st := range a.stages {
		if len(st.keeps) == 0 {
			continue
		}
		if a.res.CacheBuster == "" {
			a.res.CacheBuster = absentToken(a.src)
		}
		var lines []string
		for _, k := range st.keeps {
			dest := path.Join(path.Dir(a.opts.StepDir), "keep", a.res.CacheBuster, strconv.Itoa(i), k.stage) + "/"
			lines = append(lines, "COPY --from="+k.stage+" "+strings.Join(k.paths, " ")+" "+dest)
		}
		a.edits = append(a.edits, edit{start: st.end + 1, end: st.end, text: strings.Join(lines, "\n")})
	}
}

// absentToken is a path element that occurs nowhere in src.
func absentToken(src []byte) string {
	for n := 0; ; n++ {
		t := "kaniko-ecr-build-" + strconv.Itoa(n)
		if !strings.Contains(string(src), t) {
			return t
		}
	}
}
