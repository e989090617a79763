package steps

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/crypto/ssh/agent"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/listen"
)

// ssh serves the build's SSH key on an agent socket at the target.
func (se *session) ssh(m dockerfile.Mount, first bool) error {
	if se.srv.key == nil {
		if m.Required {
			return fmt.Errorf("ssh agent %q is required but no SSH key was given", m.ID)
		}
		return nil
	}
	dst, err := se.fs.Place(m.Target)
	if err == nil {
		se.fs.Created(dst)
		var a *listen.Conns
		if a, err = serveAgent(se.srv.key, m.ID, dst); err == nil {
			se.fs.OnUndo(a.Close)
		}
	}
	if err == nil {
		err = os.Lchown(dst, id(m.UID), id(m.GID))
	}
	if err == nil {
		err = syscall.Chmod(dst, or(m.Mode, 0o600))
	}
	if err != nil {
		return fmt.Errorf("ssh agent at %s: %w", m.Target, err)
	}
	if first {
		se.env = append(se.env, "SSH_AUTH_SOCK="+dst)
	}
	return nil
}

// serveAgent serves key on a new unix socket at sock.
func serveAgent(key any, comment, sock string) (*listen.Conns, error) {
	ring := agent.NewKeyring()
	if err := ring.Add(agent.AddedKey{PrivateKey: key, Comment: comment}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	return listen.Serve(ln, func(c net.Conn) { _ = agent.ServeAgent(ring, c) }), nil
}
