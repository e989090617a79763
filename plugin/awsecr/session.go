package awsecr

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sirupsen/logrus"
)

// Session is the AWS side of one run: the clients, the registry token
// and what the checks before the build found.
type Session struct {
	plan    *settings.Plan
	clients *Clients
	hook    *redact.Hook
	now     func() time.Time

	mu        sync.Mutex
	token     Token
	tokenAt   time.Time
	identity  string // caller ARN, empty when unknown
	account   string // caller's account, empty when unknown
	scoped    bool   // the build got a narrowed token: the push gets a fresh one
	refreshed bool   // refreshToken has fetched the token in use

	noCache bool              // the cache repository is missing
	pending map[string]string // tag → digest it holds in an immutable repository, compared after the build
}

func NewSession(p *settings.Plan, c *Clients, hook *redact.Hook) *Session {
	if c.ImageFacts == nil {
		tr := c.Transport
		c.ImageFacts = func(ctx context.Context, ref string, tok Token) (ImageFacts, error) {
			return remoteImageFacts(ctx, ref, tok, tr)
		}
	}
	return &Session{plan: p, clients: c, hook: hook, now: time.Now, pending: map[string]string{}}
}

// NoCache reports whether the checks found the cache repository missing:
// the build then runs without the layer cache.
func (s *Session) NoCache() bool { return s.noCache }

// logNote is a log line that a check keeps until every check is done, so
// the log reads in a stable order and says nothing about repositories when
// signing in failed.
type logNote struct {
	level logrus.Level
	msg   string
}

type notes []logNote

func (n *notes) info(format string, args ...any) {
	*n = append(*n, logNote{logrus.InfoLevel, fmt.Sprintf(format, args...)})
}

func (n *notes) warn(format string, args ...any) {
	*n = append(*n, logNote{logrus.WarnLevel, fmt.Sprintf(format, args...)})
}

func (n notes) flush() {
	for _, l := range n {
		logrus.StandardLogger().Log(l.level, l.msg)
	}
}

// Check runs everything that must hold before kaniko builds: the
// credentials sign in; then, concurrently, the caller identity is read,
// a registry token is fetched (kept in memory), the repository exists
// or is created (with its policies) and no requested tag conflicts with
// an immutable one, and the cache repository exists or is created (if not,
// the build goes on without cache). It returns the first problem that
// should stop the run.
func (s *Session) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, checksTimeout)
	defer cancel()
	p := s.plan
	mode := credentialMode(p)
	if c := s.clients.Credentials; c != nil {
		cr, err := c.Retrieve(ctx)
		if err != nil {
			doing := "signing in to AWS with " + mode
			return explain(p, callCredentials, doing, err)
		}
		s.hook.Add(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)
		mode += " (provider " + cr.Source + ")"
	}
	logrus.Infof("AWS credentials: %s", mode)

	tokReady := make(chan struct{})
	var (
		wg                          sync.WaitGroup
		idErr, tokErr, repoErr      error
		idNotes, repoNotes, cacheNs notes
	)
	wg.Go(func() { idErr = s.checkIdentity(ctx, &idNotes) })
	wg.Go(func() {
		defer close(tokReady)
		tokErr = s.fetchToken(ctx)
	})
	if !p.NoPush {
		// Nothing is pushed: the repository need not exist.
		wg.Go(func() { repoErr = s.checkRepository(ctx, tokReady, &repoNotes) })
	}
	wg.Go(func() { s.checkCache(ctx, &cacheNs) })
	wg.Wait()

	idNotes.flush()
	if tokErr != nil {
		return tokErr
	}
	if idErr != nil {
		logrus.Warnf("reading the caller identity: %v; going on, since the registry accepted the credentials", idErr)
	}
	tok := s.currentToken()
	logrus.Infof("logged in to %s (token valid until %s)", p.Host, tok.ExpiresAt.UTC().Format(time.RFC3339))
	if b := p.BaseImage; b.Username != "" {
		logrus.Infof("base images from %s are pulled as %s", b.Registry, b.Username)
	}
	repoNotes.flush()
	cacheNs.flush()
	return repoErr
}

func (s *Session) checkIdentity(ctx context.Context, n *notes) error {
	out, err := s.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return explain(s.plan, callCredentials, "calling STS GetCallerIdentity", err)
	}
	arn, account := deref(out.Arn), deref(out.Account)
	s.mu.Lock()
	s.identity, s.account = arn, account
	s.mu.Unlock()
	n.info("AWS identity: %s (account %s)", arn, account)
	if a := s.plan.AccountID; a != "" && account != "" && a != account && !s.plan.IsPublic() {
		n.info("the registry belongs to account %s, not %s: its repository policy must allow %s", a, account, arn)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Session) registryName() string {
	if s.plan.IsPublic() {
		return "ECR Public"
	}
	return "ECR"
}

// fetchToken gets a registry token and keeps it in memory: the push
// authenticates from there (Authorization), and the build's docker config
// gets it only when the build needs it (WriteBuildConfig).
func (s *Session) fetchToken(ctx context.Context) error {
	tok, err := s.clients.Registry.Token(ctx)
	if err != nil {
		doing := "getting an " + s.registryName() + " authorization token in " + s.plan.Region
		if s.plan.IsPublic() {
			doing = "getting an ECR Public authorization token in " + settings.PublicRegion
		}
		if id := s.callerIdentity(); id != "" {
			doing += " as " + id
		}
		return explain(s.plan, callToken, doing, err)
	}
	s.hook.Add(tok.Password)
	s.mu.Lock()
	s.token, s.tokenAt = tok, s.now()
	s.mu.Unlock()
	return nil
}

func (s *Session) currentToken() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

func (s *Session) callerIdentity() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identity
}

// BeforePush runs between the build and the push: it refreshes a token that
// is old or about to expire, and compares the built digest with the
// immutable tags that already exist. Those holding exactly this image need
// no push; any other fails the run with nothing pushed.
func (s *Session) BeforePush(ctx context.Context, digest string) ([]string, error) {
	if err := s.refreshToken(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var skip, conflicts []string
	for _, t := range sortedKeys(s.pending) {
		held := s.pending[t]
		if held == digest {
			logrus.Infof("tag %q already holds %s in the immutable repository %s: not pushing it again", t, digest, s.plan.Repo)
			skip = append(skip, s.plan.Image()+":"+t)
			continue
		}
		made := "the build gave"
		if s.plan.IsIndex() {
			made = "the index is"
		}
		conflicts = append(conflicts, fmt.Sprintf("tag %q holds %s, %s %s", t, held, made, digest))
	}
	if len(conflicts) > 0 {
		return nil, &TagConflictError{Repo: s.plan.Repo, Conflicts: conflicts, Built: true, Index: s.plan.IsIndex()}
	}
	return skip, nil
}

// Refresh renews the registry token before the upload when it is old or
// expires soon, or when the build had a narrowed one.
func (s *Session) Refresh(ctx context.Context) error { return s.refreshToken(ctx) }

// refreshToken replaces the registry token before the push when it is old
// or expires soon: a long build must not fail its push on an expired token.
func (s *Session) refreshToken(ctx context.Context) error {
	s.mu.Lock()
	age := s.now().Sub(s.tokenAt)
	left := s.token.ExpiresAt.Sub(s.now())
	expires := !s.token.ExpiresAt.IsZero()
	scoped := s.scoped
	s.mu.Unlock()
	// A token this refresh fetched in the last minute is as fresh as a new
	// one would be (a short-lived one stays short-lived): the refresh before
	// the upload serves the one before the tags too.
	if !scoped && (s.refreshed && age < time.Minute || age < tokenMaxAge && (!expires || left >= tokenMinValidity)) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, checksTimeout)
	defer cancel()
	if err := s.fetchToken(ctx); err != nil {
		return fmt.Errorf("refreshing the registry token before the push: %w", err)
	}
	s.mu.Lock()
	s.refreshed = true
	s.mu.Unlock()
	if scoped {
		s.mu.Lock()
		s.scoped = false // the push's token is this one from now on
		s.mu.Unlock()
		logrus.Info("got the push's registry token, separate from the build's")
		return nil
	}
	logrus.Infof("refreshed the registry token before the push (the first was %s old and valid for %s more)", age.Round(time.Second), left.Round(time.Second))
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
