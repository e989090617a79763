package dockerfile

import (
	"fmt"
	"path"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/mounts"
)

// Mount is one RUN --mount, with BuildKit's defaults filled in (see
// mounts.Mount).
type Mount = mounts.Mount

// mounts parses every --mount of a RUN and checks it against Options.
func (a *analysis) mounts(n *parser.Node) ([]Mount, bool) {
	var out []Mount
	ok, ssh := true, 0
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
		msg := a.checkMount(m, &ssh)
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

// checkMount applies the rules BuildKit checks only when it dispatches the
// mount, and the availability of secrets and ssh. It returns a message for
// a problem, or "".
func (a *analysis) checkMount(m *Mount, ssh *int) string {
	switch m.Type {
	case "bind", "cache", "tmpfs":
		// BuildKit mounts it at the WORKDIR. When the Dockerfile does not
		// set that, the base image's is only seen during the build: the
		// step server takes the step's working directory then.
		if m.Target == "" && a.cur().files.dir != "" {
			m.Target = a.cur().files.dir
		}
		if m.Target != "" && path.Clean(path.Join(a.cur().files.dir, m.Target)) == "/" {
			return "cannot mount over / (give a target)"
		}
	case "secret":
		if mounts.Unexpanded(m.ID) && m.Required {
			return "a required secret's id cannot use a variable or quotes (it is checked before the build)"
		}
		if m.Required && !a.opts.Secrets[m.ID] {
			return fmt.Sprintf("required secret %q is not provided", m.ID)
		}
	case "ssh":
		if m.Source != "" {
			return "an ssh mount takes no source"
		}
		if m.Target == "" {
			m.Target = fmt.Sprintf("/run/buildkit/ssh_agent.%d", *ssh)
		}
		*ssh++
		if m.Required && !a.opts.SSH {
			return "required ssh agent is not available (no SSH key is configured)"
		}
	}
	return ""
}
