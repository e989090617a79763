package dockerfile

import (
	"errors"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/copyflags"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/sources"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/words"
)

// COPY --link and ADD --link are accepted and dropped. With --link BuildKit
// copies into an empty layer and stacks that on the previous state, so the
// layer can be reused when earlier layers change: a caching property, the
// files in the image are the same. They differ only when the destination
// path crosses a symlink of the previous state, which a linked copy cannot
// follow (Docker documents this as --link's incompatibility); kaniko
// follows it, as BuildKit does without --link.

// copyCmd checks a COPY and reports whether it must be rewritten. kaniko
// implements --from, --chown and --chmod (octal only); --parents and
// --exclude become a step (pick).
func (a *analysis) copyCmd(n *parser.Node, c *instructions.CopyCommand) bool {
	line := n.StartLine
	ok, symbolic := a.chmod(line, "COPY", c.Chmod)
	a.copyFrom(c.From)
	// kaniko indexes its stage list with a numeric --from when it skips
	// unused stages, and panics when the index is out of range.
	if i, err := strconv.Atoi(c.From); err == nil && (i < 0 || i >= len(a.stages)-1) {
		a.problem(line, "COPY --from="+c.From+": no earlier stage has that index")
		ok = false
	}
	if c.Parents || len(c.ExcludePatterns) > 0 || symbolic {
		return a.pick(n, c.SourcesAndDest, c.From, c.Parents, c.ExcludePatterns, c.Chmod, c.Chown, ok)
	}
	if len(c.SourceContents) == 0 {
		if c.From == "" && c.Chown == "" {
			a.rootOwned(n)
		}
		return false
	}
	if c.From != "" {
		a.problem(line, "COPY --from="+c.From+": cannot be combined with heredoc sources here")
		ok = false
	}
	return a.heredocCopy(n, c.SourcesAndDest, c.Chmod, c.Chown, ok)
}

// add checks an ADD and reports whether it must be rewritten. kaniko
// implements --chown, --chmod (octal only), local archives and plain
// http(s) downloads; a download with --checksum becomes a helper step that
// fetches and verifies it.
func (a *analysis) add(n *parser.Node, c *instructions.AddCommand) bool {
	line := n.StartLine
	ok := true
	// kaniko always unpacks local archives and never downloads, as ADD
	// does without --unpack; --unpack=false makes a local copy a pick.
	noUnpack := c.Unpack != nil && !*c.Unpack && len(c.SourceContents) == 0
	for _, src := range c.SourcePaths {
		if c.Unpack != nil && *c.Unpack && sources.IsHTTP(a.word(src)) {
			a.problem(line, "ADD --unpack=true "+src+": downloads are not unpacked here")
			ok = false
		}
		noUnpack = noUnpack && !sources.IsHTTP(a.word(src))
	}
	okMode, symbolic := a.chmod(line, "ADD", c.Chmod)
	ok = okMode && ok
	for _, src := range c.SourcePaths {
		if sources.IsGit(src) || sources.IsGit(a.word(src)) {
			if symbolic || len(c.ExcludePatterns) > 0 {
				a.problem(line, "ADD "+src+": --exclude and a symbolic --chmod are supported here for files of the context or a stage, not git sources")
				ok = false
			}
			return a.gitAdd(n, c, src, ok)
		}
	}
	if c.KeepGitDir != nil {
		a.problem(line, "ADD --keep-git-dir: applies to a git source only")
		ok = false
	}
	if c.Checksum != "" {
		if symbolic {
			a.problem(line, "ADD --chmod="+c.Chmod+": a symbolic mode is supported here for files of the context or a stage, not downloads")
		}
		return a.checksum(n, c, ok && !symbolic)
	}
	if len(c.ExcludePatterns) > 0 || symbolic || noUnpack {
		return a.pick(n, c.SourcesAndDest, "", false, c.ExcludePatterns, c.Chmod, c.Chown, ok)
	}
	if len(c.SourceContents) == 0 {
		if c.Chown == "" {
			a.rootOwned(n)
		}
		return false
	}
	return a.heredocCopy(n, c.SourcesAndDest, c.Chmod, c.Chown, ok)
}

// rootOwned gives the files a COPY or ADD takes from the build context to
// root, as BuildKit does (its client sends the context as 0:0), where
// kaniko would keep each file's owner in the checkout: kaniko runs it
// with --chown=0:0, and the history shows it as written. kaniko applies
// no --chown to the local archives ADD unpacks, which keep their entries'
// owners, as in BuildKit; downloads are root's either way.
func (a *analysis) rootOwned(n *parser.Node) {
	if a.unused() {
		return // the stage is emptied (reach.Prune)
	}
	if text := edits.WithFlag(n.Original, "--chown=0:0"); text != "" {
		a.chowned = append(a.chowned, rewrite{line: n.StartLine, end: n.EndLine, step: Step{Original: step.Original(n)}, text: text})
	}
}

// checksum turns ADD --checksum, which kaniko ignores, into a helper step
// that downloads the file, checks its digest and writes it as ADD would.
// Like BuildKit it needs a single source; unlike BuildKit only an http(s)
// download can be checked here (git sources are refused).
func (a *analysis) checksum(n *parser.Node, c *instructions.AddCommand, ok bool) bool {
	flag := "ADD --checksum=" + c.Checksum
	// BuildKit expands build variables in the digest; the helper gets it
	// expanded, the URL as written (it expands that with the step's
	// environment, as kaniko would).
	sum, unknown, err := words.Expand(a.lex(), c.Checksum, a.cur().vars)
	switch {
	case err != nil:
		a.problem(n.StartLine, flag+": "+err.Error())
	case len(unknown) > 0:
		a.problem(n.StartLine, flag+": uses "+words.Unknown(unknown)+", which the Dockerfile does not define (ARG or ENV) before this line")
	case !sources.ValidChecksum(sum):
		a.problem(n.StartLine, flag+": want sha256:<64 lower-case hex digits>")
	case len(c.SourcePaths) != 1 || len(c.SourceContents) != 0:
		a.problem(n.StartLine, flag+": needs exactly one source, an http(s) URL")
	case !sources.IsHTTP(a.word(c.SourcePaths[0])):
		a.problem(n.StartLine, flag+": the source must be an http(s) URL")
	case ok:
		st := a.newStep(n, "add")
		st.URL, st.Checksum = c.SourcePaths[0], sum
		st.Dest, st.Chmod, st.Chown = c.DestPath, c.Chmod, c.Chown
		a.pending = append(a.pending, rewrite{line: n.StartLine, end: n.EndLine, step: st})
	}
	return true
}

// gitAdd turns ADD of a git repository into a helper step that checks
// the commit out into the destination; the builder resolves the ref to
// that commit before the build and adds it to the step's line. The
// source must be alone, its variables known before the build.
func (a *analysis) gitAdd(n *parser.Node, c *instructions.AddCommand, src string, ok bool) bool {
	what := "ADD " + src
	var vals []string
	for _, w := range []string{src, c.Checksum} {
		v, unknown, err := words.Expand(a.lex(), w, a.cur().vars)
		if err == nil && len(unknown) > 0 {
			err = errors.New("uses " + words.Unknown(unknown) + ", which the Dockerfile does not define (ARG or ENV) before this line")
		}
		if err != nil {
			a.problem(n.StartLine, what+": "+err.Error())
			return true
		}
		vals = append(vals, v)
	}
	g, err := sources.ParseGit(vals[0], c.KeepGitDir, vals[1])
	switch {
	case len(c.SourcePaths) != 1 || len(c.SourceContents) != 0:
		a.problem(n.StartLine, what+": a git source must be the only source of its ADD here")
	case err != nil:
		a.problem(n.StartLine, what+": "+err.Error())
	case ok:
		st := a.newStep(n, "git")
		st.Git, st.Dest, st.Chmod, st.Chown = &g, c.DestPath, c.Chmod, c.Chown
		a.pending = append(a.pending, rewrite{line: n.StartLine, end: n.EndLine, step: st})
	}
	return true
}

// chmod checks --chmod: kaniko applies octal modes; a symbolic one, which
// BuildKit also takes and kaniko refuses, makes the copy a pick step.
// Values with variables are left to kaniko, which expands them first.
func (a *analysis) chmod(line int, name, mode string) (ok, symbolic bool) {
	if mode == "" || strings.Contains(mode, "$") {
		return true, false
	}
	if copyflags.Symbolic(a.word(mode)) {
		return true, true
	}
	if v, err := strconv.ParseUint(a.word(mode), 8, 32); err != nil || v > 0o7777 {
		a.problem(line, name+" --chmod="+mode+": want an octal mode up to 7777 or a symbolic one such as u+x,go-w")
		return false, false
	}
	return true, false
}

// heredocCopy turns a COPY or ADD of heredocs into a helper step. kaniko
// cannot copy heredocs at all, and a mix with context files would need the
// build context inside the build root, so only heredocs are accepted.
func (a *analysis) heredocCopy(n *parser.Node, sd instructions.SourcesAndDest, chmod, chown string, ok bool) bool {
	name := strings.ToUpper(n.Value)
	if len(sd.SourcePaths) > 0 {
		a.problem(n.StartLine, name+": heredocs cannot be mixed with other sources here")
		ok = false
	}
	// The sources come from BuildKit's instruction rather than the parser
	// node: in the JSON form a "<<EOF" source is an empty heredoc, and the
	// body is already stripped of tabs for <<-.
	var docs []Heredoc
	for _, sc := range sd.SourceContents {
		h := Heredoc{Name: sc.Path, Data: sc.Data, Expand: sc.Expand}
		ok = a.textOK(n, h) && a.fileName(n, h.Name) && ok
		docs = append(docs, h)
	}
	if !ok {
		return true
	}
	st := a.newStep(n, "copy")
	st.Heredocs = docs
	st.Dest, st.Chmod, st.Chown = sd.DestPath, chmod, chown
	a.pending = append(a.pending, rewrite{line: n.StartLine, end: n.EndLine, step: st})
	return true
}
