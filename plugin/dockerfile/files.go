package dockerfile

import (
	"path"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// stageFiles is what the Dockerfile alone says about a stage's file
// system: its WORKDIR, and for a stage built from scratch the top-level
// paths its instructions create. Neither is known for a stage built on an
// image, whose config and files are only seen during the build.
type stageFiles struct {
	dir     string // the WORKDIR, absolute; "" when unknown
	tops    map[string]bool
	topsSet bool // tops lists every top-level path of the stage
}

// baseFiles is what a stage starts from: the files of the stage it is
// built on, an empty root for scratch, nothing known for an image.
func (a *analysis) baseFiles(base string) stageFiles {
	for _, prev := range a.stages {
		if prev.name != "" && prev.name == base {
			f := prev.files
			f.tops = clone(f.tops)
			return f
		}
	}
	if base == "scratch" {
		return stageFiles{dir: "/", tops: map[string]bool{}, topsSet: true}
	}
	return stageFiles{}
}

func clone(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// workdir applies WORKDIR p, which BuildKit creates.
func (f *stageFiles) workdir(p string) {
	if strings.ContainsAny(p, "$'\"\\`") {
		f.dir = ""
		f.topsSet = false
		return
	}
	if !path.IsAbs(p) {
		if f.dir == "" {
			f.topsSet = false
			return
		}
		p = path.Join(f.dir, p)
	}
	f.dir = path.Clean(p)
	f.add(f.dir)
}

// add records the top-level path under which p lies.
func (f *stageFiles) add(p string) {
	if f.tops == nil {
		return // an image's files are not known anyway
	}
	if top, _, _ := strings.Cut(strings.TrimPrefix(path.Clean(p), "/"), "/"); top != "" && top != "." {
		f.tops[top] = true
	}
}

// copied records what a COPY or ADD to dest creates. Into "/" itself a
// source creates its base name, unless it is a directory (whose content
// is copied instead) or a pattern: then the top-level paths are unknown.
func (f *stageFiles) copied(dest string, sources []string) {
	if !f.topsSet {
		return
	}
	if strings.ContainsAny(dest, "$'\"\\`") || !path.IsAbs(dest) && f.dir == "" {
		f.topsSet = false
		return
	}
	if !path.IsAbs(dest) {
		dest = path.Join(f.dir, dest)
	}
	if path.Clean(dest) != "/" {
		f.add(dest)
		return
	}
	for _, src := range sources {
		base := path.Base(src)
		if strings.HasSuffix(src, "/") || base == "." || base == "/" || strings.ContainsAny(src, "*?[$'\"\\`") {
			f.topsSet = false
			return
		}
		f.tops[base] = true
	}
}

// unknown records an instruction whose effect on the files is unknown.
func (f *stageFiles) unknown() { f.topsSet = false }

// list is the stage's top-level paths, sorted, as absolute paths.
func (f *stageFiles) list() []string {
	var out []string
	for t := range f.tops {
		out = append(out, "/"+t)
	}
	sort.Strings(out)
	return out
}

// stageNames lists the name of every stage of the Dockerfile, lower-cased,
// "" for an unnamed one, before any stage is read: a mount may name a
// stage defined after it.
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
