package plugin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
)

// awsSession is the AWS side of one run: the clients, the registry token
// and what the checks before the build found.
type awsSession struct {
	plan    *Plan
	clients *awsClients
	hook    *redactHook
	now     func() time.Time

	mu       sync.Mutex
	token    registryToken
	tokenAt  time.Time
	identity string // caller ARN, empty when unknown

	noCache bool              // the cache repository is missing
	pending map[string]string // tag → digest it holds in an immutable repository, compared after the build
}

func newAWSSession(p *Plan, c *awsClients, hook *redactHook) *awsSession {
	if c.ImageFacts == nil {
		c.ImageFacts = remoteImageFacts
	}
	return &awsSession{plan: p, clients: c, hook: hook, now: time.Now, pending: map[string]string{}}
}

// login signs in to AWS, gets a registry token into
// $DOCKER_CONFIG/config.json (where kaniko's keychain looks first) and runs
// the checks before the build; see awsSession.check.
func (r *run) login(ctx context.Context) error {
	r.hook.add(r.plan.AWS.OIDCToken.Reveal(), r.plan.AWS.ExternalID.Reveal())
	newAWS := r.deps.NewAWS
	if newAWS == nil {
		newAWS = newAWSClients
	}
	clients, err := newAWS(ctx, r.plan)
	if err != nil {
		return err
	}
	s := newAWSSession(r.plan, clients, r.hook)
	if err := s.check(ctx); err != nil {
		return err
	}
	r.aws = s
	return nil
}

// withAWS applies what the checks found to the build: no cache when the
// cache repository is missing, and the hook that runs before the push.
func (r *run) withAWS(spec *BuildSpec) {
	if r.aws == nil {
		return
	}
	if r.aws.noCache {
		spec.Cache = false
	}
	spec.BeforePush = r.aws.beforePush
}

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

// check runs everything that must hold before kaniko builds: the
// credentials sign in; then, concurrently, the caller identity is read,
// a registry token is written to the docker config, the repository exists
// or is created (with its policies) and no requested tag conflicts with
// an immutable one, and the cache repository exists or is created (if not,
// the build goes on without cache). It returns the first problem that
// should stop the run.
func (s *awsSession) check(ctx context.Context) error {
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
		s.hook.add(cr.AccessKeyID, cr.SecretAccessKey, cr.SessionToken)
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

func (s *awsSession) checkIdentity(ctx context.Context, n *notes) error {
	out, err := s.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return explain(s.plan, callCredentials, "calling STS GetCallerIdentity", err)
	}
	arn, account := deref(out.Arn), deref(out.Account)
	s.mu.Lock()
	s.identity = arn
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

func (s *awsSession) registryName() string {
	if s.plan.IsPublic() {
		return "ECR Public"
	}
	return "ECR"
}

// fetchToken gets a registry token and writes it to the docker config.
func (s *awsSession) fetchToken(ctx context.Context) error {
	tok, err := s.clients.Registry.token(ctx)
	if err != nil {
		doing := "getting an " + s.registryName() + " authorization token in " + s.plan.Region
		if s.plan.IsPublic() {
			doing = "getting an ECR Public authorization token in " + publicRegion
		}
		if id := s.callerIdentity(); id != "" {
			doing += " as " + id
		}
		return explain(s.plan, callToken, doing, err)
	}
	s.hook.add(tok.Password)
	dir := docker.Dir()
	cfg, err := docker.Load(dir)
	if err != nil {
		return fmt.Errorf("reading docker config in %s: %w", dir, err)
	}
	if b := s.plan.BaseImage; b.Username != "" {
		cfg.SetAuth(b.Registry, b.Username, b.Password.Reveal())
	}
	cfg.SetAuth(s.plan.Host, tok.User, tok.Password)
	if err := cfg.Write(dir); err != nil {
		return fmt.Errorf("writing docker config to %s: %w", dir, err)
	}
	s.mu.Lock()
	s.token, s.tokenAt = tok, s.now()
	s.mu.Unlock()
	return nil
}

func (s *awsSession) currentToken() registryToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

func (s *awsSession) callerIdentity() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identity
}

// checkRepository makes sure the repository exists (creating it when
// asked), applies the policies, and checks the requested tags against the
// repository's tag immutability.
func (s *awsSession) checkRepository(ctx context.Context, tokReady <-chan struct{}, n *notes) error {
	info, err := s.ensureRepository(ctx, n)
	if err != nil || info.Mutability == "" {
		return err
	}
	return s.checkTags(ctx, info, tokReady, n)
}

// ensureRepository returns the repository's settings; Mutability is empty
// when they could not be read.
func (s *awsSession) ensureRepository(ctx context.Context, n *notes) (repoInfo, error) {
	p, svc, repo := s.plan, s.clients.Registry, s.plan.Repo
	where := p.registryPath()
	info, err := svc.describeRepository(ctx, repo)
	switch {
	case err == nil:
		if want := p.AWS.TagImmutability; want != "" && !strings.HasPrefix(info.Mutability, want) {
			n.warn("PLUGIN_TAG_IMMUTABILITY=%s applies only to a repository that PLUGIN_CREATE_REPOSITORY creates; %s is %s", want, repo, info.Mutability)
		}
	case errors.Is(err, errRepoNotFound) && !p.AWS.CreateRepository:
		return repoInfo{}, fmt.Errorf("repository %s does not exist in %s: create it, or set PLUGIN_CREATE_REPOSITORY=true", repo, where)
	case errors.Is(err, errRepoNotFound), isAccessDenied(err) && p.AWS.CreateRepository:
		created, cerr := svc.createRepository(ctx, repoSpec{Name: repo, Mutability: p.AWS.TagImmutability, ScanOnPush: p.AWS.ScanOnPush})
		switch {
		case cerr != nil:
			return repoInfo{}, explain(p, callRepository, "creating repository "+repo+" in "+where, cerr)
		case created:
			n.info("created repository %s in %s (%s)", repo, where, p.AWS.createSummary())
			info = repoInfo{Name: repo, Mutability: p.AWS.TagImmutability}
			if info.Mutability == "" {
				info.Mutability = "MUTABLE"
			}
		case errors.Is(err, errRepoNotFound):
			// Created by someone else meanwhile: read what it is.
			if info, err = svc.describeRepository(ctx, repo); err != nil {
				return repoInfo{}, explain(p, callRepository, "describing repository "+repo, err)
			}
		default:
			n.warn("repository %s exists, but its settings cannot be read (%s): skipping the tag immutability check", repo, apiCode(err))
		}
	case isAccessDenied(err):
		n.warn("cannot check repository %s (%s: the identity lacks ecr:DescribeRepositories): skipping the repository and tag immutability checks; the push will tell", repo, apiCode(err))
	default:
		return repoInfo{}, explain(p, callRepository, "describing repository "+repo+" in "+where, err)
	}

	if pol := p.AWS.LifecyclePolicy; pol != nil {
		if err := svc.putLifecyclePolicy(ctx, repo, string(pol)); err != nil {
			return repoInfo{}, explain(p, callRepository, "applying PLUGIN_LIFECYCLE_POLICY to repository "+repo, err)
		}
		n.info("applied PLUGIN_LIFECYCLE_POLICY to repository %s", repo)
	}
	if pol := p.AWS.RepositoryPolicy; pol != nil {
		if err := svc.setRepositoryPolicy(ctx, repo, string(pol)); err != nil {
			return repoInfo{}, explain(p, callRepository, "applying PLUGIN_REPOSITORY_POLICY to repository "+repo, err)
		}
		n.info("applied PLUGIN_REPOSITORY_POLICY to repository %s", repo)
	}
	return info, nil
}

// TagConflictError means a requested tag already names another image in a
// repository whose tags are immutable: ECR would refuse the push.
type TagConflictError struct {
	Repo      string
	Conflicts []string // one sentence per tag
	Built     bool     // found after the build, before the push
}

func (e *TagConflictError) Error() string {
	when := "before the build: nothing was built or pushed"
	if e.Built {
		when = "after the build: nothing was pushed"
	}
	return fmt.Sprintf("tag immutability of repository %s (found %s): %s; use new tags, or remove the old images", e.Repo, when, strings.Join(e.Conflicts, "; "))
}

// maxParallelLookups bounds concurrent DescribeImages calls.
const maxParallelLookups = 8

// checkTags finds the requested tags that already exist in an immutable
// repository. A kaniko build stamps the image with the time it was built,
// unless it is reproducible (created = 1970-01-01), so an existing image
// with another creation time can never be built again: that tag fails the
// run before building. An existing reproducible image might be rebuilt
// exactly: its digest is compared after the build (beforePush), and a
// match is success without pushing that tag again (ECR refuses even an
// identical push to an immutable tag).
func (s *awsSession) checkTags(ctx context.Context, info repoInfo, tokReady <-chan struct{}, n *notes) error {
	p := s.plan
	var tags []string
	for _, t := range p.Tags {
		if tagImmutable(info, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	digests := make([]string, len(tags))
	errs := make([]error, len(tags))
	sem := make(chan struct{}, maxParallelLookups)
	var wg sync.WaitGroup
	for i, t := range tags {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			digests[i], errs[i] = s.clients.Registry.tagDigest(ctx, p.Repo, t)
		})
	}
	wg.Wait()
	existing := map[string]string{}
	for i, t := range tags {
		switch err := errs[i]; {
		case isAccessDenied(err):
			n.warn("cannot look up tag %s in the immutable repository %s (%s: the identity lacks ecr:DescribeImages): skipping the tag check; the push will tell", t, p.Repo, apiCode(err))
			return nil
		case err != nil:
			return explain(p, callRepository, "looking up tag "+t+" in repository "+p.Repo, err)
		case digests[i] != "":
			existing[t] = digests[i]
		}
	}
	if len(existing) == 0 {
		return nil
	}

	byDigest := map[string][]string{}
	for t, d := range existing {
		byDigest[d] = append(byDigest[d], t)
	}
	if len(byDigest) > 1 {
		// One build has one digest: at most one group can match it.
		var cs []string
		for d, ts := range byDigest {
			sort.Strings(ts)
			cs = append(cs, fmt.Sprintf("%s already %s %s", quoteTags(ts), holds(ts), d))
		}
		sort.Strings(cs)
		return &TagConflictError{Repo: p.Repo, Conflicts: append(cs, "no single image can match them all")}
	}
	var digest string
	var held []string
	for d, ts := range byDigest {
		digest, held = d, ts
	}
	sort.Strings(held)

	select {
	case <-tokReady:
	case <-ctx.Done():
		return ctx.Err()
	}
	tok := s.currentToken()
	if tok.Password == "" {
		return nil // the token error is reported
	}
	facts, err := s.clients.ImageFacts(ctx, p.Image()+"@"+digest, tok)
	switch {
	case err != nil:
		n.warn("%s already %s %s in the immutable repository %s, and that image cannot be read (%v): comparing digests after the build", quoteTags(held), holds(held), digest, p.Repo, err)
	case !facts.rebuildable() || !p.Kaniko.Reproducible:
		what := "built at " + facts.Created.UTC().Format(time.RFC3339)
		switch {
		case facts.Index:
			what = "an image index, which kaniko does not build"
		case facts.rebuildable():
			what = "built reproducibly, but PLUGIN_REPRODUCIBLE is not set, so this build stamps the time"
		}
		return &TagConflictError{Repo: p.Repo, Conflicts: []string{fmt.Sprintf("%s already %s %s (%s), which no new build can reproduce", quoteTags(held), holds(held), digest, what)}}
	default:
		n.info("%s already %s %s in the immutable repository %s, built reproducibly: the build must give the same digest", quoteTags(held), holds(held), digest, p.Repo)
	}
	s.mu.Lock()
	for _, t := range held {
		s.pending[t] = digest
	}
	s.mu.Unlock()
	return nil
}

func quoteTags(ts []string) string {
	q := make([]string, len(ts))
	for i, t := range ts {
		q[i] = fmt.Sprintf("%q", t)
	}
	if len(q) == 1 {
		return "tag " + q[0]
	}
	return "tags " + strings.Join(q, ", ")
}

func holds(ts []string) string {
	if len(ts) == 1 {
		return "holds"
	}
	return "hold"
}

// imageFacts is what decides whether an existing image can be rebuilt.
type imageFacts struct {
	Index   bool
	Created time.Time
}

// rebuildable reports whether a kaniko build could give this image again,
// byte for byte: only a reproducible one, created at the Unix epoch.
func (f imageFacts) rebuildable() bool {
	return !f.Index && (f.Created.IsZero() || f.Created.Unix() == 0)
}

// remoteImageFacts reads an image's manifest and config from the registry.
func remoteImageFacts(ctx context.Context, ref string, tok registryToken) (imageFacts, error) {
	d, err := name.NewDigest(ref)
	if err != nil {
		return imageFacts{}, err
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: tok.User, Password: tok.Password})
	desc, err := remote.Get(d, remote.WithAuth(auth), remote.WithContext(ctx))
	if err != nil {
		return imageFacts{}, err
	}
	if desc.MediaType.IsIndex() {
		return imageFacts{Index: true}, nil
	}
	img, err := desc.Image()
	if err != nil {
		return imageFacts{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return imageFacts{}, err
	}
	return imageFacts{Created: cf.Created.Time}, nil
}

// cacheRepoName is the repository kaniko pushes its layer cache to:
// PLUGIN_CACHE_REPO, else <repo>/cache (kaniko's default).
func cacheRepoName(p *Plan) string {
	if p.CacheRepo == "" {
		return p.Repo + "/cache"
	}
	return strings.TrimPrefix(p.CacheRepo, p.registryPath()+"/")
}

// checkCache makes sure the cache repository exists, creating it when
// PLUGIN_CREATE_REPOSITORY is set. It never fails the run: when the
// repository is missing the build runs without cache; when it cannot be
// checked, kaniko uses it as is (a failed cache push only warns).
func (s *awsSession) checkCache(ctx context.Context, n *notes) {
	p, svc := s.plan, s.clients.Registry
	if !p.Cache {
		return
	}
	repo := cacheRepoName(p)
	if repo == p.Repo {
		return // checked as the repository itself
	}
	_, err := svc.describeRepository(ctx, repo)
	switch {
	case err == nil:
		return
	case !errors.Is(err, errRepoNotFound):
		n.warn("cannot check the cache repository %s (%v): using it as it is", repo, err)
		return
	case !p.AWS.CreateRepository:
		n.warn("cache repository %s does not exist in %s: building without the layer cache (create it, or set PLUGIN_CREATE_REPOSITORY=true)", repo, p.registryPath())
		s.noCache = true
		return
	}
	if _, err := svc.createRepository(ctx, repoSpec{Name: repo, Mutability: "MUTABLE"}); err != nil {
		n.warn("creating the cache repository %s: %v: building without the layer cache", repo, err)
		s.noCache = true
		return
	}
	if p.IsPublic() {
		n.info("created the cache repository %s in %s", repo, p.registryPath())
		return
	}
	pol, err := cacheLifecyclePolicy(p.CacheTTL)
	if err == nil {
		err = svc.putLifecyclePolicy(ctx, repo, pol)
	}
	if err != nil {
		n.warn("created the cache repository %s, but not its lifecycle rule: %v; old cache images stay until removed", repo, err)
		return
	}
	n.info("created the cache repository %s in %s, with a lifecycle rule that expires images %s after their push (PLUGIN_CACHE_TTL)", repo, p.registryPath(), p.CacheTTL)
}

// beforePush runs between the build and the push: it refreshes a token that
// is old or about to expire, and compares the built digest with the
// immutable tags that already exist. Those holding exactly this image need
// no push; any other fails the run with nothing pushed.
func (s *awsSession) beforePush(ctx context.Context, digest string) ([]string, error) {
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
		conflicts = append(conflicts, fmt.Sprintf("tag %q holds %s, the build gave %s", t, held, digest))
	}
	if len(conflicts) > 0 {
		return nil, &TagConflictError{Repo: s.plan.Repo, Conflicts: conflicts, Built: true}
	}
	return skip, nil
}

// refreshToken replaces the registry token before the push when it is old
// or expires soon: a long build must not fail its push on an expired token.
func (s *awsSession) refreshToken(ctx context.Context) error {
	s.mu.Lock()
	age := s.now().Sub(s.tokenAt)
	left := s.token.ExpiresAt.Sub(s.now())
	expires := !s.token.ExpiresAt.IsZero()
	s.mu.Unlock()
	if age < tokenMaxAge && (!expires || left >= tokenMinValidity) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, checksTimeout)
	defer cancel()
	if err := s.fetchToken(ctx); err != nil {
		return fmt.Errorf("refreshing the registry token before the push: %w", err)
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
