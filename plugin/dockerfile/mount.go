package dockerfile

import (
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/mounts"
)

// Mount is one RUN --mount, with BuildKit's defaults filled in (see
// mounts.Mount).
type Mount = mounts.Mount

// mounts parses every --mount of a RUN and checks it against Options.
func (a *analysis) mounts(n *parser.Node) ([]Mount, bool) {
	var out []Mount
	ok := true
	check := mounts.Checker{Workdir: a.cur().files.dir, Secrets: a.opts.Secrets, SSH: a.opts.SSH}
	for _, val := range flagValues(n, "mount") {
		expanded, deferred, err := a.expandMount(val)
		if err != nil {
			a.problem(n.StartLine, "RUN --mount="+val+": "+err.Error())
			ok = false
			continue
		}
		m, err := mounts.Parse(expanded)
		if err == nil {
			m.Deferred = deferred
		}
		if err != nil {
			a.problem(n.StartLine, "RUN --mount="+val+": "+err.Error())
			ok = false
			continue
		}
		msg := check.Check(m)
		if msg == "" {
			msg = a.mountFrom(m)
		}
		if msg != "" {
			a.problem(n.StartLine, "RUN --mount="+val+": "+msg)
			ok = false
			continue
		}
		out = append(out, *m)
	}
	return out, ok
}
