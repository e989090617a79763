package mounts

import (
	"fmt"
	"path"
)

// Checker applies to the mounts of one RUN the rules BuildKit checks only
// when it dispatches them, and the availability of secrets and ssh.
type Checker struct {
	// Workdir is the stage's WORKDIR, absolute; "" when only the build
	// knows it (the base image's).
	Workdir string
	// Secrets holds the ids of the build secrets that will be available.
	Secrets map[string]bool
	// SSH reports that an SSH agent will be available.
	SSH bool
	ssh int // the ssh mounts checked so far
}

// Check fills in the targets BuildKit gives a mount at dispatch and
// returns a message for a problem, or "".
func (c *Checker) Check(m *Mount) string {
	switch m.Type {
	case "bind", "cache", "tmpfs":
		// BuildKit mounts it at the WORKDIR. When the Dockerfile does not
		// set that, the base image's is only seen during the build: the
		// step server takes the step's working directory then.
		if m.Target == "" && c.Workdir != "" {
			m.Target = c.Workdir
		}
		if m.Target != "" && path.Clean(path.Join(c.Workdir, m.Target)) == "/" {
			return "cannot mount over / (give a target)"
		}
	case "secret":
		if Unexpanded(m.ID) && m.Required {
			return "a required secret's id cannot use a variable or quotes (it is checked before the build)"
		}
		if m.Required && !c.Secrets[m.ID] {
			return fmt.Sprintf("required secret %q is not provided", m.ID)
		}
	case "ssh":
		if m.Source != "" {
			return "an ssh mount takes no source"
		}
		if m.Target == "" {
			m.Target = fmt.Sprintf("/run/buildkit/ssh_agent.%d", c.ssh)
		}
		c.ssh++
		if m.Required && !c.SSH {
			return "required ssh agent is not available (no SSH key is configured)"
		}
	}
	return ""
}
