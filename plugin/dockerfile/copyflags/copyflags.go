// Package copyflags checks COPY --parents and COPY or ADD --exclude, which
// kaniko ignores, and a symbolic --chmod, which kaniko refuses: the front
// end turns them into a step (Kind "pick") that the step server runs with
// BuildKit's rules, and this package gives that step its share of kaniko's
// cache key.
package copyflags

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/patternmatcher"
	chmod "github.com/tonistiigi/dchapes-mode"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/sources"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

// Check returns what is wrong with the pick step st, whose instruction
// also has heredocs heredoc sources, and resolves its --from: the name or
// index of an earlier stage (earlier: their names, lower-cased, "" for an
// unnamed one) sets st.FromStage; an image is refused. A numeric --from
// out of range gets no message here (the front end reports it for every
// COPY). word expands a source with the variables known before the build.
func Check(st *step.Step, heredocs int, from string, earlier []string, word func(string) string) []string {
	name := "COPY"
	if st.Add {
		name = "ADD"
	}
	var msgs []string
	if _, err := patternmatcher.New(st.Exclude); err != nil {
		msgs = append(msgs, name+" --exclude: "+err.Error())
	}
	if heredocs > 0 {
		msgs = append(msgs, name+": heredocs cannot be combined with --parents, --exclude or a symbolic --chmod here")
	}
	for _, src := range st.Sources {
		if w := word(src); sources.IsHTTP(w) || sources.IsGit(w) {
			msgs = append(msgs, name+" "+src+": --exclude and a symbolic --chmod are supported here for files of the context or a stage, not downloads")
		}
	}
	if from == "" {
		return msgs
	}
	i, err := strconv.Atoi(from)
	if err != nil {
		i = slices.Index(earlier, strings.ToLower(from))
	}
	switch {
	case i >= 0 && i < len(earlier):
		st.FromStage = &i
	case err != nil:
		msgs = append(msgs, "COPY --from="+from+": with --parents, --exclude or a symbolic --chmod, name an earlier stage here (images are not supported)")
	}
	return msgs
}

// Hash digests what sources, with the flags, select in the build context;
// add is set for ADD (which refuses a local archive here).
type Hash func(sources []string, parents bool, exclude []string, add bool) (string, error)

// Digest records in a pick step from the build context the digest of
// exactly what it selects there, so that kaniko's cache key of the step
// changes when a selected file changes, and only then. Sources with
// variables, quotes or escapes are known only during the build: the whole
// context stands for them. A step from a stage, or without a hash, is left
// as it is.
func Digest(st *step.Step, hash Hash) error {
	if st.Kind != "pick" || st.FromStage != nil || hash == nil {
		return nil
	}
	var err error
	if strings.ContainsAny(strings.Join(st.Sources, ""), "$'\"\\`") {
		st.Digest, err = hash([]string{"."}, false, nil, false)
	} else {
		st.Digest, err = hash(st.Sources, st.Parents, st.Exclude, st.Add)
	}
	if err != nil {
		name := "COPY"
		if st.Add {
			name = "ADD"
		}
		msg := err.Error()
		if strings.HasSuffix(msg, "not found") {
			msg += " in the build context"
		}
		return fmt.Errorf("%s: %s", name, msg)
	}
	return nil
}

// Symbolic reports whether mode is a valid symbolic --chmod (u+x, go-w,
// a=rX, ...), which BuildKit takes besides octal modes.
func Symbolic(mode string) bool {
	if _, err := strconv.ParseUint(mode, 8, 32); err == nil {
		return false
	}
	_, err := chmod.Parse(mode)
	return err == nil
}
