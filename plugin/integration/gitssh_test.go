package integration

import (
	"crypto/ed25519"
	"crypto/rand"
	binenc "encoding/binary"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// serveGitSSH serves the repositories under dir over ssh on loopback:
// public-key auth with exactly authorized's key, and the exec request
// git-upload-pack '<path>' run by git itself on the channel. It returns
// the address.
func serveGitSSH(t *testing.T, dir string, authorized ssh.PublicKey) string {
	t.Helper()
	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if string(key.Marshal()) != string(authorized.Marshal()) {
			return nil, fmt.Errorf("unknown key")
		}
		return nil, nil
	}}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveSSHConn(c, cfg, dir)
		}
	}()
	return ln.Addr().String()
}

func serveSSHConn(c net.Conn, cfg *ssh.ServerConfig, dir string) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		c.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for req := range creqs {
				if req.Type != "exec" || len(req.Payload) < 4 {
					_ = req.Reply(false, nil)
					continue
				}
				line := string(req.Payload[4:])
				repo, ok := strings.CutPrefix(line, "git-upload-pack ")
				if !ok {
					_ = req.Reply(false, nil)
					continue
				}
				_ = req.Reply(true, nil)
				repo = strings.Trim(repo, "'\"")
				cmd := exec.Command("git-upload-pack", filepath.Join(dir, filepath.Clean("/"+repo)))
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				status := uint32(0)
				if err := cmd.Run(); err != nil {
					status = 1
				}
				_ = ch.CloseWrite()
				b := make([]byte, 4)
				binenc.BigEndian.PutUint32(b, status)
				_, _ = ch.SendRequest("exit-status", false, b)
				return
			}
		}()
	}
}

func TestAddOfAGitSourceOverSSHUsesTheStepsSSHKeyAndOnlyIt(t *testing.T) {
	addRepos("git/ssh")
	key := sshKeyPEM(t)
	signer, err := ssh.ParsePrivateKey([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	srv := newGitServer(t, "")
	dir := filepath.Dir(strings.TrimSuffix(srv.work, "/"))
	addr := serveGitSSH(t, dir, signer.PublicKey())
	df := "ARG BASE\nFROM ${BASE}\nADD ssh://git@" + addr + "/repo.git#v1 /src\n"
	ws := writeFiles(t, map[string]string{"Dockerfile": df})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "git/ssh", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_SSH_AGENT_KEY": key})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	_, files := pulled(t, stack.Registry.Addr+"/git/ssh:latest")
	if files["src/README"] != "one\n" || files["src/sub/deep/file"] != "deep\n" {
		t.Errorf("src/README %q, src/sub/deep/file %q", files["src/README"], files["src/sub/deep/file"])
	}
	if strings.Contains(r.stderr, strings.Split(key, "\n")[1]) {
		t.Error("the log holds the key")
	}
	other := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "git/ssh", "PLUGIN_TAGS": "other", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_SSH_AGENT_KEY": sshKeyPEM(t)})
	if other.code == 0 || !strings.Contains(other.stderr, "Dockerfile:3: ADD") {
		t.Errorf("another key: exit %d\n%s", other.code, other.stderr)
	}
}
