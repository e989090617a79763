package plugin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

const (
	standInHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	digestA     = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB     = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// fakeRegistry is an awsecr.Registry with a func field for the calls these
// tests steer; nil fields behave like an existing, mutable repository.
type fakeRegistry struct {
	tokenFn     func(context.Context) (awsecr.Token, error)
	describeFn  func(context.Context, string) (awsecr.RepoInfo, error)
	tagDigestFn func(context.Context, string, string) (string, error)
}

func (f *fakeRegistry) Token(ctx context.Context) (awsecr.Token, error) {
	if f.tokenFn != nil {
		return f.tokenFn(ctx)
	}
	return awsecr.Token{User: "AWS", Password: "fake-password", ExpiresAt: time.Now().Add(12 * time.Hour)}, nil
}

func (f *fakeRegistry) DescribeRepository(ctx context.Context, name string) (awsecr.RepoInfo, error) {
	if f.describeFn != nil {
		return f.describeFn(ctx, name)
	}
	return awsecr.RepoInfo{Name: name, Mutability: "MUTABLE"}, nil
}

func (f *fakeRegistry) CreateRepository(context.Context, awsecr.RepoSpec) (bool, error) {
	return true, nil
}
func (f *fakeRegistry) PutLifecyclePolicy(context.Context, string, string) error  { return nil }
func (f *fakeRegistry) SetRepositoryPolicy(context.Context, string, string) error { return nil }

func (f *fakeRegistry) TagDigest(ctx context.Context, repo, tag string) (string, error) {
	if f.tagDigestFn != nil {
		return f.tagDigestFn(ctx, repo, tag)
	}
	return "", nil
}

type fakeSTS struct{}

func (fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	arn, account := "arn:aws:iam::123456789012:user/ci", "123456789012"
	return &sts.GetCallerIdentityOutput{Arn: &arn, Account: &account}, nil
}

func immutableRepo(_ context.Context, name string) (awsecr.RepoInfo, error) {
	return awsecr.RepoInfo{Name: name, Mutability: "IMMUTABLE"}, nil
}

func digestsOf(m map[string]string) func(context.Context, string, string) (string, error) {
	return func(_ context.Context, _, tag string) (string, error) { return m[tag], nil }
}

// fakeBuilder records the plan it built; its image is random. during,
// when set, runs in the build and its error is the build's.
type fakeBuilder struct {
	mu     sync.Mutex
	called bool
	plan   settings.Plan
	during func(ctx context.Context) error
}

func (b *fakeBuilder) Build(ctx context.Context, p *settings.Plan, _ func(string)) (v1.Image, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.called, b.plan = true, *p
	if b.during != nil {
		if err := b.during(ctx); err != nil {
			return nil, err
		}
	}
	return random.Image(64, 1)
}

func (b *fakeBuilder) Transport(*settings.Plan, string) (http.RoundTripper, error) {
	return http.DefaultTransport, nil
}

// fakePublish runs BeforePush as push.Publish does, with a made-up digest,
// and pushes nothing.
type fakePublish struct {
	digest  string
	hooked  bool
	skipped []string
}

func (f *fakePublish) publish(ctx context.Context, _ v1.Image, _ *push.Session, req push.Request) (push.Result, error) {
	f.hooked = req.BeforePush != nil
	if req.BeforePush != nil {
		skip, err := req.BeforePush(ctx, f.digest)
		if err != nil {
			return push.Result{}, err
		}
		f.skipped = skip
	}
	return push.Result{Digest: f.digest, Pushed: req.Destinations}, nil
}

// runWithFakes runs the whole plugin with env as its settings, the real
// AWS side over a fake registry service, a fake builder and a fake push.
func runWithFakes(t *testing.T, env map[string]string, reg *fakeRegistry, facts func(context.Context, string, awsecr.Token) (awsecr.ImageFacts, error)) (*fakeBuilder, *fakePublish, string, error) {
	t.Helper()
	b := &fakeBuilder{}
	pub, log, err := runWith(t, context.Background(), b, env, reg, facts)
	return b, pub, log, err
}

// runWith is runWithFakes with a given builder and context.
func runWith(t *testing.T, ctx context.Context, b *fakeBuilder, env map[string]string, reg *fakeRegistry, facts func(context.Context, string, awsecr.Token) (awsecr.ImageFacts, error)) (*fakePublish, string, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PLUGIN_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("PLUGIN_REGISTRY", standInHost)
	t.Setenv("PLUGIN_REPO", "team/app")
	for k, v := range env {
		t.Setenv(k, v)
	}
	restoreLogger(t) // Run reconfigures the standard logger
	if facts == nil {
		facts = func(context.Context, string, awsecr.Token) (awsecr.ImageFacts, error) {
			return awsecr.ImageFacts{}, errors.New("no registry in unit tests")
		}
	}
	pub := &fakePublish{digest: digestA}
	var stderr bytes.Buffer
	err := Run(ctx, Deps{
		Builder: b, Env: settings.Env{Lookup: os.LookupEnv, Dir: dir}, Stdout: &bytes.Buffer{}, Stderr: &stderr,
		Exe: "/kaniko/kaniko-ecr", EUID: 0,
		NewAWS: func(_ context.Context, p *settings.Plan, hook *redact.Hook) (AWS, error) {
			return awsecr.NewSession(p, &awsecr.Clients{Registry: reg, STS: fakeSTS{}, ImageFacts: facts}, hook), nil
		},
		Publish: pub.publish,
	})
	return pub, stderr.String(), err
}

func restoreLogger(t *testing.T) {
	l := logrus.StandardLogger()
	out, level, formatter, hooks := l.Out, l.GetLevel(), l.Formatter, l.Hooks
	t.Cleanup(func() { l.SetOutput(out); l.SetLevel(level); l.SetFormatter(formatter); l.ReplaceHooks(hooks) })
}

func TestRunStopsBeforeTheBuildWhenAChecksFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		reg  *fakeRegistry
		want string
	}{
		{
			name: "immutable tags conflict",
			env:  map[string]string{"PLUGIN_TAGS": "v1,latest"},
			reg:  &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA, "latest": digestB})},
			want: `tag immutability of repository team/app (found before the build: nothing was built or pushed)`,
		},
		{
			name: "access denied",
			reg: &fakeRegistry{tokenFn: func(context.Context) (awsecr.Token, error) {
				return awsecr.Token{}, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
			}},
			want: "AccessDeniedException (the identity may not call ecr:GetAuthorizationToken",
		},
		{
			name: "missing repository",
			reg: &fakeRegistry{describeFn: func(context.Context, string) (awsecr.RepoInfo, error) {
				return awsecr.RepoInfo{}, awsecr.ErrRepoNotFound
			}},
			want: "set PLUGIN_CREATE_REPOSITORY=true",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _, log, err := runWithFakes(t, tc.env, tc.reg, nil)
			if ExitCode(err) != 1 {
				t.Fatalf("exit %d (%v), want 1", ExitCode(err), err)
			}
			if b.called {
				t.Error("the build started")
			}
			if !strings.Contains(log, tc.want) {
				t.Errorf("log lacks %q:\n%s", tc.want, log)
			}
		})
	}
}

func TestRunBuildsWithoutCacheWhenTheCacheRepositoryIsMissing(t *testing.T) {
	reg := &fakeRegistry{describeFn: func(_ context.Context, name string) (awsecr.RepoInfo, error) {
		if name == "team/cache" {
			return awsecr.RepoInfo{}, awsecr.ErrRepoNotFound
		}
		return awsecr.RepoInfo{Name: name, Mutability: "MUTABLE"}, nil
	}}
	b, pub, log, err := runWithFakes(t, map[string]string{"PLUGIN_CACHE_REPO": "team/cache"}, reg, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if !b.called || b.plan.Cache || !pub.hooked {
		t.Errorf("build called %v, cache %v, hook %v", b.called, b.plan.Cache, pub.hooked)
	}
	if !strings.Contains(log, "cache repository team/cache does not exist") {
		t.Errorf("log:\n%s", log)
	}
}

func TestRunComparesReproducibleTagsAfterTheBuild(t *testing.T) {
	reg := &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA})}
	reproducible := func(context.Context, string, awsecr.Token) (awsecr.ImageFacts, error) {
		return awsecr.ImageFacts{}, nil
	}

	// The build gives the digest v1 holds: success, v1 is not pushed again.
	_, pub, log, err := runWithFakes(t, map[string]string{"PLUGIN_TAGS": "v1,v2", "PLUGIN_REPRODUCIBLE": "true"}, reg, reproducible)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if len(pub.skipped) != 1 || pub.skipped[0] != standInHost+"/team/app:v1" {
		t.Errorf("skipped %v", pub.skipped)
	}

	// Another digest: the run fails after the build, with nothing pushed.
	reg.tagDigestFn = digestsOf(map[string]string{"v1": digestB})
	b, pub, log, err := runWithFakes(t, map[string]string{"PLUGIN_TAGS": "v1,v2", "PLUGIN_REPRODUCIBLE": "true"}, reg, reproducible)
	var ce *awsecr.TagConflictError
	if !errors.As(err, &ce) || !ce.Built || ExitCode(err) != 1 {
		t.Fatalf("err = %v\n%s", err, log)
	}
	if !b.called || pub.skipped != nil {
		t.Errorf("build called %v, skipped %v", b.called, pub.skipped)
	}
}

func TestExitCodesFollowTheContract(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("push failed"), 1},
		{&awsecr.TagConflictError{Repo: "r"}, 1},
		{&settings.ValidationError{Problems: []string{"PLUGIN_REPO is required"}}, 2},
		{&UnsafeError{Reason: "outside /kaniko"}, 3},
		{&InterruptedError{Code: 130}, 130},
		{&InterruptedError{Code: 143}, 143},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
