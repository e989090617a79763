package awsecr

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr/policy"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

var errNoTokenYet = errors.New("no registry token: the checks before the build have not run")

// Authorization implements authn.Authenticator with the registry token in
// memory, the one BeforePush refreshes: the push authenticates from it, so
// the push token never touches the disk.
func (s *Session) Authorization() (*authn.AuthConfig, error) {
	tok := s.currentToken()
	if tok.Password == "" {
		return nil, errNoTokenYet
	}
	return &authn.AuthConfig{Username: tok.User, Password: tok.Password}, nil
}

// WriteBuildConfig writes to the docker config only the credentials the
// build itself needs, where kaniko's keychain looks for them: the base image
// connector's when the build pulls from its registry, and the registry
// token when the build pulls from this registry or uses the layer cache.
// pulls are the registries the build pulls from (image references' hosts).
// Every RUN step can read that file: nothing else goes there, and the token
// comes from a session narrowed to pulls and cache pushes where the
// credential mode allows (buildToken). restore puts
// the file back as it was (or removes it) and may be called more than once;
// the run calls it as soon as the build returns, and on every way out.
func (s *Session) WriteBuildConfig(ctx context.Context, pulls []string, cache bool) (restore func(), err error) {
	p := s.plan
	need := map[string]bool{}
	for _, h := range pulls {
		need[docker.NormalizeHost(h)] = true
	}
	host := docker.NormalizeHost(p.Host)
	base := p.BaseImage.Username != "" && need[docker.NormalizeHost(p.BaseImage.Registry)]
	token := cache || need[host]
	if !base && !token {
		logrus.Info("docker config: the build pulls nothing that needs credentials, so none are written")
		return func() {}, nil
	}
	dir := docker.Dir()
	path := filepath.Join(dir, "config.json")
	orig, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading docker config %s: %w", path, err)
	}
	cfg, err := docker.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reading docker config in %s: %w", dir, err)
	}
	var what []string
	if base {
		cfg.SetAuth(p.BaseImage.Registry, p.BaseImage.Username, p.BaseImage.Password.Reveal())
		what = append(what, "base images ("+p.BaseImage.Registry+")")
	}
	if token {
		tok := s.buildToken(ctx, cache)
		if tok.Password == "" {
			return nil, errNoTokenYet
		}
		cfg.SetAuth(p.Host, tok.User, tok.Password)
		what = append(what, "a registry token ("+p.Host+")")
	}
	if err := cfg.Write(dir); err != nil {
		return nil, fmt.Errorf("writing docker config to %s: %w", dir, err)
	}
	logrus.Infof("docker config: %s for the build, removed when it ends", strings.Join(what, " and "))
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := docker.Restore(dir, orig, existed); err != nil {
				logrus.Warnf("removing the build's credentials from %s: %v", path, err)
				return
			}
			logrus.Debugf("removed the build's credentials from %s", path)
		})
	}, nil
}

// buildToken is the registry token for the build: from a session narrowed
// by policy.Build when the credential mode takes a session policy, else the
// run's own token, and the log says what a RUN step could do with it.
func (s *Session) buildToken(ctx context.Context, cache bool) Token {
	p, sc := s.plan, s.clients.Scoper
	why := "the build pulls from " + p.Host
	cacheRepo := ""
	if cache {
		why, cacheRepo = "the layer cache is on", cacheRepoName(p)
	}
	unscoped := func() Token {
		logrus.Warnf("the build needs a registry token (%s), and RUN steps can read it in the docker config while the build runs: it can push to every repository that %s may push to. An AWS connector with an assumed role, OIDC or IRSA (or an IAM user's keys that may call sts:GetFederationToken) gets the build a token that cannot; base images from another registry and no layer cache need none", why, s.whoPushes())
		return s.currentToken()
	}
	if sc == nil || p.IsPublic() {
		return unscoped()
	}
	account := p.AccountID
	if account == "" {
		s.mu.Lock()
		account = s.account
		s.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(ctx, checksTimeout)
	defer cancel()
	pol, err := policy.Build(p.Region, account, cacheRepo, policy.PullThrough(p.Host, mirrorsOf(p)))
	var tok Token
	var secrets []string
	if err == nil {
		tok, secrets, err = sc.ScopedToken(ctx, pol)
	}
	if err != nil {
		logrus.Warnf("narrowing the build's registry token: %v", explain(p, callCredentials, "calling STS "+sc.Mode()+" with a session policy", err))
		return unscoped()
	}
	s.hook.Add(secrets...)
	s.mu.Lock()
	s.scoped = true
	s.mu.Unlock()
	to := "pushes nowhere"
	if cacheRepo != "" {
		to = "pushes only to " + cacheRepo
	}
	logrus.Infof("the build's registry token comes from a session narrowed by a policy (STS %s): it pulls from %s and %s; the push gets its own token after the build", sc.Mode(), p.Host, to)
	return tok
}

// whoPushes names the identity behind the registry token, for the log.
func (s *Session) whoPushes() string {
	if id := s.callerIdentity(); id != "" {
		return id
	}
	return credentialMode(s.plan)
}

// mirrorsOf are every mirror of the plan (PLUGIN_REGISTRY_MIRRORS and
// PLUGIN_REGISTRY_MAP).
func mirrorsOf(p *settings.Plan) []string {
	out := slices.Clone(p.Kaniko.RegistryMirrors)
	for _, to := range p.Kaniko.RegistryMaps {
		out = append(out, to...)
	}
	return out
}
