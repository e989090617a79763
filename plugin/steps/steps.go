// Package steps runs the Dockerfile steps kaniko cannot run itself: RUN
// with --mount, RUN of a shebang heredoc, and COPY or ADD of heredocs. The
// front end (package dockerfile) rewrites each into
// RUN ["/kaniko/kaniko-ecr","step","<Dir>/steps/<id>.json"]; kaniko runs
// that as a child of the plugin, and the child (Main, the client) asks the
// plugin's Server over Dir/steps.sock to set the step's mounts up in the
// build root, runs the command, and waits until the Server has taken them
// down again, before kaniko snapshots the file system. Without mount
// syscalls every mount is emulated with files: content is written, copied
// or moved into place, and what the image had there is renamed aside.
//
// Protocol: one JSON object per line on a unix stream socket. The client
// sends {"step":"<step file>"}; the server answers {"kind","args","env"}
// once the step is set up, or {"error"}. The client runs args and sends
// {"done":true}; the server takes everything down and answers
// {"cleaned":true} or {"error"}. A connection that ends without "done" is
// cleaned up at once.
//
// Security model. Secret values and the SSH key stay in the plugin's
// memory, the build context outside the build root; step files hold ids
// only, and the client runs the command the Server sends, not the one in
// the file, which an earlier RUN could have rewritten. The Server serves a
// step only to a process that runs the plugin's own executable, was
// started by the plugin itself (kaniko runs RUN commands as direct
// children), has exactly the command line of the rewritten instruction,
// and only once per Server. The socket is 0666, since a step's USER may
// not be root: these checks are the only gate.
//
// So a RUN that declares no secret cannot obtain one over the socket: the
// processes under its command are neither the helper nor children of the
// plugin. Nor can it find one in the file system, as a step's mounts exist
// only while that step's command runs, kaniko runs one instruction at a
// time, and it kills each instruction's process group when it ends. What
// remains: a process that escapes its process group (setsid, a double
// fork) lives on into later steps. It can read a later step's mounts while
// that step runs, and, once reparented to the plugin (PID 1 in the image,
// so it adopts orphans), it can run the helper for a later step before
// kaniko does: it gets that step's mounts, set up for that step's
// command, and the step itself then fails as already run. The top process
// of a RUN (which kaniko starts directly) can do the same with exec.
package steps

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/ssh"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/fetch"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/gitsource"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/listen"
)

// Config is what a Server needs for one build.
type Config struct {
	// Root is the build root, "/" in production (empty means "/"). Every
	// absolute path of a step is taken inside it.
	Root string
	// Dir is the helper's directory, a real path inside Root that kaniko
	// never snapshots (e.g. /kaniko/.kaniko-ecr): the builder writes
	// steps/<id>.json there, the Server listens on steps.sock and keeps
	// the cache mount store in cache/.
	Dir string
	// Steps are the build's steps by id.
	Steps map[string]dockerfile.Step
	// Secrets maps a build secret id to its value.
	Secrets map[string]redact.Secret
	// SSHKey is the PEM private key served to ssh mounts; empty: none.
	SSHKey redact.Secret
	// Context is the absolute build context directory, the source of bind
	// mounts.
	Context string
	// ContextIgnored reports whether the context's .dockerignore leaves out
	// rel (slash-separated, relative to Context); bind mounts of the
	// context leave it out too. Nil leaves nothing out.
	ContextIgnored func(rel string, dir bool) bool
	// IgnoreList returns the absolute paths kaniko ignores in the build
	// root (its own directory, the build container's mounts, ...): a whole
	// stage kept for later mounts leaves them out, and the directories that
	// hold nothing else. Nil: only Dir's top.
	IgnoreList func() []string
	// Registry pulls the images that steps mount files from.
	Registry fetch.Registry
	// Git checks out the git sources of ADD at the commits resolved.
	Git gitsource.Sources
	// Peer verifies that the process pid may be served stepFile; nil means
	// the real check (see Server). Tests replace it.
	Peer func(pid int, stepFile string) error

	// proc returns a peer's environment and working directory; nil reads
	// them from /proc. Tests that play the client in-process replace it.
	proc func(pid int) (env []string, cwd string, err error)
}

// Server sets steps up and takes them down for the clients kaniko starts.
type Server struct {
	cfg     Config
	exe     string
	key     any
	conns   *listen.Conns
	mu      sync.Mutex
	served  map[string]bool
	pulls   sync.Mutex
	images  map[string]string // pulled image subtrees by ref and source
	errs    []error
	failure error // the first step that could not be set up
}

// request is a client's message.
type request struct {
	Step string `json:"step,omitempty"`
	Done bool   `json:"done,omitempty"`
	// Env and Dir are the client's environment and working directory,
	// used when its /proc entries cannot be read: a USER other than root
	// without CAP_SYS_PTRACE, as in Docker's default capability set.
	Env []string `json:"env,omitempty"`
	Dir string   `json:"dir,omitempty"`
}

// reply is the server's message. Env may hold secret values: it is only
// ever sent to a verified peer, never logged.
type reply struct {
	Kind    string   `json:"kind,omitempty"`
	Args    []string `json:"args,omitempty"`
	Env     []string `json:"env,omitempty"`
	Cleaned bool     `json:"cleaned,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Start listens on Dir/steps.sock and serves steps until Close.
func Start(cfg Config) (_ *Server, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("steps: %w", err)
		}
	}()
	cfg.Root = cmp.Or(cfg.Root, "/")
	if !filepath.IsAbs(cfg.Root) || !filepath.IsAbs(cfg.Dir) || cfg.Context != "" && !filepath.IsAbs(cfg.Context) {
		return nil, fmt.Errorf("root %q, dir %q and context %q must be absolute", cfg.Root, cfg.Dir, cfg.Context)
	}
	s := &Server{cfg: cfg, served: map[string]bool{}, images: map[string]string{}}
	if s.exe, err = os.Executable(); err != nil {
		return nil, err
	}
	if cfg.SSHKey != "" {
		// The parser's errors never quote the key.
		if s.key, err = ssh.ParseRawPrivateKey([]byte(cfg.SSHKey.Reveal())); err != nil {
			return nil, fmt.Errorf("SSH key: %w", err)
		}
	}
	// The socket's directory must be reachable by a USER other than root;
	// the cache store is root's alone.
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, "cache"), 0o700); err != nil {
		return nil, err
	}
	sock := filepath.Join(cfg.Dir, "steps.sock")
	_ = os.Remove(sock) // left by a plugin that was killed
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	// Any USER may connect; the peer checks decide who is served.
	if err := os.Chmod(sock, 0o666); err != nil {
		ln.Close()
		return nil, err
	}
	s.conns = listen.Serve(ln, func(c net.Conn) { s.serve(c.(*net.UnixConn)) })
	return s, nil
}

// Failure is the first step that could not be set up, naming its
// Dockerfile line: why kaniko's build failed, when it did there.
func (s *Server) Failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure
}

// Close stops listening, takes down every step still set up and returns
// the errors of doing so. It is safe to call more than once.
func (s *Server) Close() error {
	err := s.conns.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := append(s.errs, err)
	s.errs = nil
	return errors.Join(errs...)
}

// serve runs one client's conversation. The step stays set up while the
// read of "done" blocks, i.e. while the command runs.
func (s *Server) serve(c *net.UnixConn) {
	dec, enc := json.NewDecoder(c), json.NewEncoder(c)
	var req request
	// A connection that never says which step it runs holds nothing up
	// but itself; the deadline frees it.
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	if err := dec.Decode(&req); err != nil {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	sess, rep := s.prepare(c, req)
	if err := enc.Encode(rep); err != nil || sess == nil {
		if sess != nil {
			s.keep(sess.cleanup())
		}
		return
	}
	var done request
	err := dec.Decode(&done)
	cerr := sess.cleanup()
	if err != nil || !done.Done {
		logrus.Debugf("steps: step %s: client left without finishing; cleaned up", sess.step.ID)
		s.keep(cerr)
		return
	}
	fin := reply{Cleaned: cerr == nil}
	if cerr != nil {
		fin.Error = "taking the step's mounts down: " + cerr.Error()
	}
	_ = enc.Encode(fin)
}

// keep records a cleanup error nobody else will hear of, for Close.
func (s *Server) keep(err error) {
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
}

// prepare verifies the peer and sets the step up. On failure it has
// cleaned up already and returns a nil session.
func (s *Server) prepare(c *net.UnixConn, req request) (*session, reply) {
	stepFile := req.Step
	step, pid, err := s.admit(c, stepFile)
	if err != nil {
		logrus.Debugf("steps: refused %q: %v", stepFile, err)
		return nil, reply{Error: err.Error()}
	}
	sess, err := s.newSession(step, pid, req)
	if err == nil {
		err = sess.setup()
	}
	if err != nil {
		if sess != nil {
			err = errors.Join(err, sess.cleanup())
		}
		s.mu.Lock()
		if s.failure == nil {
			s.failure = fmt.Errorf("%s: %w", where(step), err)
		}
		s.mu.Unlock()
		return nil, reply{Error: err.Error()}
	}
	logrus.Debugf("steps: step %s (line %d) set up", step.ID, step.Line)
	return sess, reply{Kind: step.Kind, Args: sess.args, Env: sess.env}
}

// admit checks stepFile and the peer, and marks the step served.
func (s *Server) admit(c *net.UnixConn, stepFile string) (dockerfile.Step, int, error) {
	id := strings.TrimSuffix(filepath.Base(stepFile), ".json")
	step, ok := s.cfg.Steps[id]
	if !ok || stepFile != filepath.Join(s.cfg.Dir, "steps", id+".json") {
		return step, 0, fmt.Errorf("refused: %q is not a step file of this build", stepFile)
	}
	pid, err := peerPID(c)
	if err != nil {
		return step, 0, fmt.Errorf("refused: %w", err)
	}
	check := s.cfg.Peer
	if check == nil {
		check = s.verifyPeer
	}
	if err := check(pid, stepFile); err != nil {
		return step, 0, fmt.Errorf("refused: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.served[id] {
		return step, 0, errors.New("refused: this step was already run in this build (by another process?)")
	}
	s.served[id] = true
	return step, pid, nil
}
