package steps

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
)

// Main is `kaniko-ecr step <step file>`, the process kaniko runs for a
// rewritten instruction (main.go calls it with os.Args[2:]). It has the
// server set the step up, runs the command, and returns only once the
// server has taken the step down, so kaniko snapshots none of it. It
// returns the command's exit status (128+signal if it was killed), or 1
// after printing one line naming the Dockerfile and line.
func Main(args []string) int {
	// A second argument only makes the line unique to its build (see
	// dockerfile.Result.CacheBuster).
	if len(args) != 1 && len(args) != 2 || !filepath.IsAbs(args[0]) {
		fmt.Fprintln(os.Stderr, "usage: kaniko-ecr step <absolute path of a step file> [<build token>]")
		return 1
	}
	// The file only names the line for messages: what runs is what the
	// server says, since a RUN before this one could have rewritten it.
	var st dockerfile.Step
	if raw, err := os.ReadFile(args[0]); err == nil {
		_ = json.Unmarshal(raw, &st)
	}
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "%s: %v\n", where(st), err)
		return 1
	}
	// Taken before the server may rename the directory aside for a mount
	// at the working directory: the command must run in the mount.
	wd, err := os.Getwd()
	if err != nil {
		return fail(err)
	}
	c, rep, err := dial(args[0])
	if err != nil {
		return fail(err)
	}
	defer c.close()
	status, runErr := 0, error(nil)
	if rep.Kind == "run" {
		status, runErr = run(rep.Args, rep.Env, wd)
	}
	if err := c.finish(); err != nil {
		return fail(err)
	}
	if runErr != nil {
		return fail(runErr)
	}
	return status
}

// conn is the client's side of a conversation.
type conn struct {
	c   net.Conn
	enc *json.Encoder
	dec *json.Decoder
}

// dial connects to the server beside the steps directory of stepFile and
// has it set the step up.
func dial(stepFile string) (*conn, reply, error) {
	wd, _ := os.Getwd()
	sock := filepath.Join(filepath.Dir(filepath.Dir(stepFile)), "steps.sock")
	nc, err := net.Dial("unix", sock)
	if err != nil {
		return nil, reply{}, fmt.Errorf("the step server is not reachable: %w", err)
	}
	c := &conn{c: nc, enc: json.NewEncoder(nc), dec: json.NewDecoder(nc)}
	var rep reply
	if err = c.enc.Encode(request{Step: stepFile, Env: os.Environ(), Dir: wd}); err == nil {
		err = c.dec.Decode(&rep)
	}
	if err == nil && rep.Error != "" {
		err = errors.New(rep.Error)
	}
	if err != nil {
		nc.Close()
		return nil, reply{}, err
	}
	return c, rep, nil
}

// finish says the command is done and waits until the step is down.
func (c *conn) finish() error {
	var rep reply
	err := c.enc.Encode(request{Done: true})
	if err == nil {
		err = c.dec.Decode(&rep)
	}
	if err != nil {
		return fmt.Errorf("the step server did not confirm the clean-up: %w", err)
	}
	if rep.Error != "" || !rep.Cleaned {
		return fmt.Errorf("the step server could not clean up: %s", rep.Error)
	}
	return nil
}

// close ends the conversation; after finish, nothing is left to undo.
func (c *conn) close() { c.c.Close() }

// run executes args in dir with this process's environment plus extra,
// forwarding SIGTERM and SIGINT, and returns its exit status.
func run(args, extra []string, dir string) (int, error) {
	if len(args) == 0 {
		return 0, errors.New("the step has no command")
	}
	prog := args[0]
	if !strings.Contains(prog, "/") {
		// Our PATH is the stage's, as kaniko set it.
		p, err := exec.LookPath(prog)
		if err != nil {
			return 0, err
		}
		prog = p
	}
	// Later entries win, so extra overrides what kaniko set.
	cmd := &exec.Cmd{Path: prog, Args: args, Dir: dir, Env: append(os.Environ(), extra...),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ok && ws.Signaled():
		return 128 + int(ws.Signal()), nil
	case ok:
		return ws.ExitStatus(), nil
	}
	return 1, err
}

// where names a step's instruction as validation does: "Dockerfile:14".
func where(st dockerfile.Step) string {
	return fmt.Sprintf("%s:%d", cmp.Or(st.File, "Dockerfile"), st.Line)
}
