// Package gitsource brings the git repository of an ADD into the plugin
// (ADD <git url>): it resolves the ref to a commit before the build, so
// the commit is part of kaniko's cache key and of the provenance, and
// checks that commit out during the build, with go-git, in-process. It
// reaches a private repository with the build secrets BuildKit reads
// (GIT_AUTH_TOKEN, GIT_AUTH_HEADER, each also as <id>.<host>) or the SSH
// key, and never writes a credential anywhere: not in the tree, not in a
// kept .git, not in an error.
package gitsource

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"
	"golang.org/x/crypto/ssh"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/sources"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
)

// Source is a git source as BuildKit's Dockerfile front end reads it:
// the front end's own type. An empty Ref is HEAD; Checksum is the commit
// (or a prefix of it) the ref must resolve to; MTime "commit" dates the
// files at the commit, else at the checkout.
type Source = sources.Git

// Credentials are what private repositories are reached with.
type Credentials struct {
	// Secrets are the build secrets by id.
	Secrets map[string]redact.Secret
	// SSHKey is the PEM private key for ssh remotes; empty: none.
	SSHKey redact.Secret
}

// checkoutTimeout bounds the fetch of one git source, and the listing of
// its refs.
const checkoutTimeout = 30 * time.Minute

// Sources are a build's git sources: what reaches them and the commit
// the builder resolved for each step, by step id.
type Sources struct {
	Credentials
	Resolved map[string]Resolved
}

// Add checks out the commit resolved for step id's source src in a new
// directory under work and places the tree into dst with o, the files
// dated at the commit when src.MTime says so.
func (s Sources) Add(ctx context.Context, id string, src Source, work, dst string, o Owner) error {
	res, ok := s.Resolved[id]
	if !ok {
		return fmt.Errorf("%s: no commit was resolved for this step before the build", Public(src.Remote))
	}
	ctx, cancel := context.WithTimeout(ctx, checkoutTimeout)
	defer cancel()
	tmp, err := os.MkdirTemp(work, ".git-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tree, when, err := Checkout(ctx, src, res, s.Credentials, tmp)
	if err != nil {
		return err
	}
	if src.MTime == "commit" {
		o.MTime = when
	}
	return Place(tree, dst, o)
}

// Public is the remote without a password that its URL may hold: what
// the provenance, a kept .git and messages show.
func Public(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil {
		return remote
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// auth is how remote is reached: for http(s), the first of the build
// secrets GIT_AUTH_HEADER.<host>, GIT_AUTH_TOKEN.<host>, GIT_AUTH_HEADER,
// GIT_AUTH_TOKEN (BuildKit's order; a token goes as the password of
// x-access-token); for ssh, the SSH key, with the host key unchecked as
// BuildKit does without known hosts. Nil: anonymous.
func (c Credentials) auth(remote string) (transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(remote)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Public(remote), err)
	}
	switch ep.Protocol {
	case "http", "https":
		u, err := url.Parse(remote)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", Public(remote), err)
		}
		host := u.Host
		for _, id := range []string{"GIT_AUTH_HEADER." + host, "GIT_AUTH_TOKEN." + host, "GIT_AUTH_HEADER", "GIT_AUTH_TOKEN"} {
			v, ok := c.Secrets[id]
			if !ok {
				continue
			}
			if strings.HasPrefix(id, "GIT_AUTH_TOKEN") {
				return &githttp.BasicAuth{Username: "x-access-token", Password: v.Reveal()}, nil
			}
			return headerAuth(v), nil
		}
	case "ssh":
		if c.SSHKey == "" {
			return nil, nil
		}
		signer, err := ssh.ParsePrivateKey([]byte(c.SSHKey.Reveal()))
		if err != nil {
			return nil, errors.New("the SSH key cannot be read")
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		a := &gitssh.PublicKeys{User: user, Signer: signer}
		a.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // as BuildKit: StrictHostKeyChecking=no
		return a, nil
	}
	return nil, nil
}

// headerAuth is GIT_AUTH_HEADER: the Authorization header as given.
type headerAuth redact.Secret

func (h headerAuth) SetAuth(r *http.Request) {
	r.Header.Set("Authorization", redact.Secret(h).Reveal())
}
func (headerAuth) Name() string   { return "http-authorization-header" }
func (headerAuth) String() string { return "http-authorization-header: [redacted]" }

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Resolved is a source's ref as the remote names it when the build
// starts.
type Resolved struct {
	// Commit is the commit to check out.
	Commit string `json:"commit"`
	// Name is the ref it was found as (refs/heads/..., refs/tags/...,
	// HEAD); empty when the ref is a commit.
	Name string `json:"name,omitempty"`
}

// Resolve asks the remote which commit src's ref names now (its tip,
// for a branch; the tagged commit, for a tag) and checks it against
// src.Checksum, which may also be an annotated tag's own id, as in
// BuildKit. A ref that is a full commit is taken as it is.
func Resolve(ctx context.Context, src Source, cred Credentials) (Resolved, error) {
	if commitRE.MatchString(src.Ref) {
		if !strings.HasPrefix(src.Ref, src.Checksum) {
			return Resolved{}, fmt.Errorf("%s: ref %s is not the checksum %s", Public(src.Remote), src.Ref, src.Checksum)
		}
		return Resolved{Commit: src.Ref}, nil
	}
	auth, err := cred.auth(src.Remote)
	if err != nil {
		return Resolved{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, checkoutTimeout)
	defer cancel()
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{src.Remote}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth, PeelingOption: git.AppendPeeled})
	if err != nil {
		return Resolved{}, fmt.Errorf("listing the refs of %s: %w", Public(src.Remote), err)
	}
	r, tag, ok := find(refs, src.Ref)
	if !ok {
		return r, fmt.Errorf("%s has no %s", Public(src.Remote), refName(src.Ref))
	}
	if c := src.Checksum; c != "" && !strings.HasPrefix(r.Commit, c) && (tag == "" || !strings.HasPrefix(tag, c)) {
		return r, fmt.Errorf("%s: %s is commit %s, not the checksum %s", Public(src.Remote), refName(src.Ref), r.Commit, c)
	}
	return r, nil
}

// find picks ref among refs as BuildKit does: HEAD for an empty ref,
// else refs/<ref>, a branch, then a tag (peeled to its commit; tag is
// then the annotated tag's own id).
func find(refs []*plumbing.Reference, ref string) (r Resolved, tag string, ok bool) {
	byName := map[string]*plumbing.Reference{}
	for _, r := range refs {
		byName[r.Name().String()] = r
	}
	names := []string{"HEAD"}
	if ref != "" {
		names = []string{
			"refs/" + strings.TrimPrefix(ref, "refs/"),
			"refs/heads/" + strings.TrimPrefix(ref, "refs/heads/"),
			"refs/tags/" + strings.TrimPrefix(ref, "refs/tags/"),
		}
	}
	for _, n := range names {
		ref, ok := byName[n]
		for ok && ref.Type() == plumbing.SymbolicReference {
			n = ref.Target().String()
			ref, ok = byName[n]
		}
		if !ok {
			continue
		}
		if p, peeled := byName[n+"^{}"]; peeled {
			return Resolved{Commit: p.Hash().String(), Name: n}, ref.Hash().String(), true
		}
		return Resolved{Commit: ref.Hash().String(), Name: n}, "", true
	}
	return Resolved{}, "", false
}

func refName(ref string) string {
	if ref == "" {
		return "HEAD"
	}
	return "ref " + ref
}
