package awsecr

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// fakeRegistry is a Registry with one func field per method; nil
// fields behave like an existing, empty repository.
type fakeRegistry struct {
	tokenFn       func(context.Context) (Token, error)
	describeFn    func(context.Context, string) (RepoInfo, error)
	createFn      func(context.Context, RepoSpec) (bool, error)
	lifecycleFn   func(context.Context, string, string) error
	repoPolicyFn  func(context.Context, string, string) error
	tagDigestFn   func(context.Context, string, string) (string, error)
	mu            sync.Mutex
	tokens, looks int
}

var _ Registry = (*fakeRegistry)(nil)

func (f *fakeRegistry) Token(ctx context.Context) (Token, error) {
	f.mu.Lock()
	f.tokens++
	f.mu.Unlock()
	if f.tokenFn != nil {
		return f.tokenFn(ctx)
	}
	return Token{User: "AWS", Password: "fake-password", ExpiresAt: time.Now().Add(12 * time.Hour)}, nil
}

func (f *fakeRegistry) DescribeRepository(ctx context.Context, name string) (RepoInfo, error) {
	if f.describeFn != nil {
		return f.describeFn(ctx, name)
	}
	return RepoInfo{Name: name, Mutability: "MUTABLE"}, nil
}

func (f *fakeRegistry) CreateRepository(ctx context.Context, spec RepoSpec) (bool, error) {
	if f.createFn != nil {
		return f.createFn(ctx, spec)
	}
	return true, nil
}

func (f *fakeRegistry) PutLifecyclePolicy(ctx context.Context, repo, text string) error {
	if f.lifecycleFn != nil {
		return f.lifecycleFn(ctx, repo, text)
	}
	return nil
}

func (f *fakeRegistry) SetRepositoryPolicy(ctx context.Context, repo, text string) error {
	if f.repoPolicyFn != nil {
		return f.repoPolicyFn(ctx, repo, text)
	}
	return nil
}

func (f *fakeRegistry) TagDigest(ctx context.Context, repo, tag string) (string, error) {
	f.mu.Lock()
	f.looks++
	f.mu.Unlock()
	if f.tagDigestFn != nil {
		return f.tagDigestFn(ctx, repo, tag)
	}
	return "", nil
}

type fakeSTS struct {
	getCallerIdentity func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ STSAPI = fakeSTS{}

func (f fakeSTS) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, o ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if f.getCallerIdentity != nil {
		return f.getCallerIdentity(ctx, in, o...)
	}
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws:iam::123456789012:user/fake"), Account: aws.String("123456789012")}, nil
}

func immutableRepo(context.Context, string) (RepoInfo, error) {
	return RepoInfo{Name: "team/app", Mutability: "IMMUTABLE"}, nil
}

func digestsOf(m map[string]string) func(context.Context, string, string) (string, error) {
	return func(_ context.Context, _, tag string) (string, error) { return m[tag], nil }
}

// fakeSession is an Session on fakes, writing its docker config to a
// temporary directory.
func fakeSession(t *testing.T, reg *fakeRegistry, facts func(context.Context, string, Token) (ImageFacts, error)) *Session {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	p := privatePlan()
	p.Tags = []string{"v1", "latest"}
	if facts == nil {
		facts = func(context.Context, string, Token) (ImageFacts, error) {
			return ImageFacts{}, errors.New("no registry in unit tests")
		}
	}
	return NewSession(p, &Clients{Registry: reg, STS: fakeSTS{}, ImageFacts: facts}, &redact.Hook{})
}

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func builtAt(created time.Time) func(context.Context, string, Token) (ImageFacts, error) {
	return func(context.Context, string, Token) (ImageFacts, error) {
		return ImageFacts{Created: created}, nil
	}
}

func TestImmutableTagsBeforeTheBuild(t *testing.T) {
	epoch := time.Unix(0, 0)
	for _, tc := range []struct {
		name     string
		reg      *fakeRegistry
		facts    func(context.Context, string, Token) (ImageFacts, error)
		wantErr  []string
		pending  map[string]string
		log      string
		wantLook int
		// notReproducible: the run lacks PLUGIN_REPRODUCIBLE.
		notReproducible bool
		index           bool // the run joins PLUGIN_INDEX_SOURCES
	}{
		{
			name:     "mutable repository: no lookups",
			reg:      &fakeRegistry{tagDigestFn: digestsOf(map[string]string{"v1": digestA})},
			wantLook: 0,
		},
		{
			name:     "immutable, tags free",
			reg:      &fakeRegistry{describeFn: immutableRepo},
			wantLook: 2,
		},
		{
			name:     "immutable, a tag holds an image built at some time: fails before the build",
			reg:      &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA})},
			facts:    builtAt(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)),
			wantErr:  []string{`found before the build: nothing was built or pushed`, `tag "v1" already holds ` + digestA + ` (built at 2025-03-01T10:00:00Z), which no new build can reproduce`},
			wantLook: 2,
		},
		{
			name:    "immutable, the tag holds an image index: fails before the build",
			reg:     &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"latest": digestA})},
			facts:   func(context.Context, string, Token) (ImageFacts, error) { return ImageFacts{Index: true}, nil },
			wantErr: []string{`tag "latest" already holds ` + digestA + ` (an image index, which kaniko does not build)`},
		},
		{
			name:    "index mode, immutable, the tags hold an index: compared with the new index, its image never read",
			reg:     &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA, "latest": digestA})},
			facts:   func(context.Context, string, Token) (ImageFacts, error) { panic("index mode reads no image facts") },
			index:   true,
			pending: map[string]string{"v1": digestA, "latest": digestA},
			log:     `already hold ` + digestA + ` in the immutable repository team/app: the index must have that digest`,
		},
		{
			name:    "index mode, immutable, tags hold different images: fails before anything is read",
			reg:     &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA, "latest": digestB})},
			index:   true,
			wantErr: []string{`tag "v1" already holds ` + digestA, `tag "latest" already holds ` + digestB, "no single image can match them all"},
		},
		{
			name:    "immutable, tags hold different images: fails before the build",
			reg:     &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA, "latest": digestB})},
			wantErr: []string{`tag "v1" already holds ` + digestA, `tag "latest" already holds ` + digestB, "no single image can match them all"},
		},
		{
			name:    "immutable, both tags hold one reproducible image: compared after the build",
			reg:     &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA, "latest": digestA})},
			facts:   builtAt(epoch),
			pending: map[string]string{"v1": digestA, "latest": digestA},
			log:     `already hold ` + digestA + ` in the immutable repository team/app, built reproducibly`,
		},
		{
			name:            "immutable, a reproducible image but this run stamps the time: fails before the build",
			reg:             &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA})},
			facts:           builtAt(epoch),
			notReproducible: true,
			wantErr:         []string{`tag "v1" already holds ` + digestA + ` (built reproducibly, but PLUGIN_REPRODUCIBLE is not set`},
		},
		{
			name: "immutable, the image cannot be read: compared after the build",
			reg:  &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA})},
			facts: func(context.Context, string, Token) (ImageFacts, error) {
				return ImageFacts{}, errors.New("no route")
			},
			pending: map[string]string{"v1": digestA},
			log:     "that image cannot be read (no route): comparing digests after the build",
		},
		{
			name: "immutable with exclusions: excluded tags are not looked up",
			reg: &fakeRegistry{
				describeFn: func(context.Context, string) (RepoInfo, error) {
					return RepoInfo{Name: "team/app", Mutability: "IMMUTABLE_WITH_EXCLUSION", Exclusions: []string{"lat*"}}, nil
				},
			},
			wantLook: 1,
		},
		{
			name: "no permission to look tags up: a warning",
			reg: &fakeRegistry{describeFn: immutableRepo, tagDigestFn: func(context.Context, string, string) (string, error) {
				return "", &smithy.GenericAPIError{Code: "AccessDeniedException"}
			}},
			log: "lacks ecr:DescribeImages",
		},
		{
			name: "a failing lookup fails the run",
			reg: &fakeRegistry{describeFn: immutableRepo, tagDigestFn: func(context.Context, string, string) (string, error) {
				return "", &smithy.GenericAPIError{Code: "ServerException"}
			}},
			wantErr: []string{"looking up tag", "ServerException"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := captureLog(t)
			s := fakeSession(t, tc.reg, tc.facts)
			s.plan.Kaniko.Reproducible = !tc.notReproducible
			if tc.index {
				s.plan.IndexSources = []string{standInHost + "/team/app:v1-amd64"}
			}
			err := s.Check(context.Background())
			if len(tc.wantErr) > 0 {
				var ce *TagConflictError
				if err == nil {
					t.Fatal("the checks passed")
				}
				if strings.Contains(tc.wantErr[0], "already holds") && (!errors.As(err, &ce) || ce.Built) {
					t.Errorf("err = %v, want a TagConflictError before the build", err)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				wantRunFailure(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.pending == nil {
				tc.pending = map[string]string{}
			}
			if d := cmp.Diff(tc.pending, s.pending); d != "" {
				t.Errorf("pending (-want +got):\n%s", d)
			}
			if tc.log != "" && !strings.Contains(log.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log)
			}
			if tc.wantLook != 0 && tc.reg.looks != tc.wantLook {
				t.Errorf("%d tag lookups, want %d", tc.reg.looks, tc.wantLook)
			}
		})
	}
}

func TestBeforePushComparesDigestsAndSkipsIdenticalTags(t *testing.T) {
	captureLog(t)
	s := fakeSession(t, &fakeRegistry{}, nil)
	s.tokenAt, s.token = time.Now(), Token{ExpiresAt: time.Now().Add(12 * time.Hour)}
	s.pending = map[string]string{"v1": digestA}

	skip, err := s.BeforePush(context.Background(), digestA)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{standInHost + "/team/app:v1"}, skip); d != "" {
		t.Errorf("skip (-want +got):\n%s", d)
	}

	_, err = s.BeforePush(context.Background(), digestB)
	var ce *TagConflictError
	if !errors.As(err, &ce) || !ce.Built || !strings.Contains(err.Error(), `tag "v1" holds `+digestA+`, the build gave `+digestB) || !strings.Contains(err.Error(), "nothing was pushed") {
		t.Errorf("err = %v", err)
	}
}

func TestTokenIsRefreshedBeforeThePushWhenOldOrExpiring(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		age, left time.Duration
		refresh   bool
	}{
		{"fresh", time.Minute, 12 * time.Hour, false},
		{"older than five minutes", 6 * time.Minute, 11 * time.Hour, true},
		{"expires within fifteen minutes", time.Minute, 10 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := captureLog(t)
			reg := &fakeRegistry{tokenFn: func(context.Context) (Token, error) {
				return Token{User: "AWS", Password: "second-password", ExpiresAt: now.Add(12 * time.Hour)}, nil
			}}
			s := fakeSession(t, reg, nil)
			s.now = func() time.Time { return now }
			s.tokenAt, s.token = now.Add(-tc.age), Token{Password: "first", ExpiresAt: now.Add(tc.left)}
			if _, err := s.BeforePush(context.Background(), digestA); err != nil {
				t.Fatal(err)
			}
			if got := reg.tokens == 1; got != tc.refresh {
				t.Fatalf("refreshed %v, want %v", got, tc.refresh)
			}
			want := "first"
			if tc.refresh {
				want = "second-password"
			}
			if a, err := s.Authorization(); err != nil || a.Password != want {
				t.Errorf("the push would authenticate with %+v (%v), want the password %q", a, err, want)
			}
			if _, err := os.Stat(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")); err == nil {
				t.Error("the refresh wrote the token to the docker config")
			}
			if tc.refresh && !strings.Contains(log.String(), "refreshed the registry token before the push") {
				t.Errorf("log:\n%s", log)
			}
		})
	}
}

func TestTagImmutabilityWithExclusionFilters(t *testing.T) {
	for _, tc := range []struct {
		mutability string
		filters    []string
		tag        string
		want       bool
	}{
		{"MUTABLE", nil, "v1", false},
		{"IMMUTABLE", []string{"*"}, "v1", true},
		{"IMMUTABLE_WITH_EXCLUSION", []string{"latest", "dev-*"}, "latest", false},
		{"IMMUTABLE_WITH_EXCLUSION", []string{"latest", "dev-*"}, "dev-42", false},
		{"IMMUTABLE_WITH_EXCLUSION", []string{"latest", "dev-*"}, "v1", true},
		{"MUTABLE_WITH_EXCLUSION", []string{"release-*"}, "release-1.0", true},
		{"MUTABLE_WITH_EXCLUSION", []string{"release-*"}, "main", false},
		{"IMMUTABLE_WITH_EXCLUSION", []string{"v[1]"}, "v1", true}, // only * is special
		{"", nil, "v1", false},
	} {
		if got := tagImmutable(RepoInfo{Mutability: tc.mutability, Exclusions: tc.filters}, tc.tag); got != tc.want {
			t.Errorf("%s %v %q: %v, want %v", tc.mutability, tc.filters, tc.tag, got, tc.want)
		}
	}
}

func TestImageFactsRebuildable(t *testing.T) {
	if !(ImageFacts{Created: time.Unix(0, 0)}).rebuildable() || !(ImageFacts{}).rebuildable() {
		t.Error("a reproducible image is not rebuildable")
	}
	if (ImageFacts{Created: time.Unix(1700000000, 0)}).rebuildable() || (ImageFacts{Index: true}).rebuildable() {
		t.Error("a timestamped image or an index is rebuildable")
	}
}

func TestIdentityFailureIsOnlyAWarningWhenTheRegistryAcceptsTheCredentials(t *testing.T) {
	log := captureLog(t)
	s := fakeSession(t, &fakeRegistry{}, nil)
	s.clients.STS = fakeSTS{getCallerIdentity: func(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
		return nil, errors.New("dial tcp: no route to sts")
	}}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "reading the caller identity") {
		t.Errorf("log:\n%s", log)
	}
}

// The immutable-tag check reads the existing image over the transport the
// run gives it (the push's, with PLUGIN_SKIP_TLS_VERIFY and
// PLUGIN_REGISTRY_CERTIFICATE applied): a registry whose certificate only
// that transport trusts is read; over the default transport it is not.
func TestImmutableTagReadUsesThePushTransport(t *testing.T) {
	srv := httptest.NewTLSServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithTransport(srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	cf, _ := img.ConfigFile()
	ref := host + "/team/app@" + d.String()

	trusted := NewSession(privatePlan(), &Clients{Transport: srv.Client().Transport}, &redact.Hook{})
	facts, err := trusted.clients.ImageFacts(context.Background(), ref, Token{User: "AWS", Password: "x"})
	if err != nil {
		t.Fatalf("read over the push transport: %v", err)
	}
	if !facts.Created.Equal(cf.Created.Time) || facts.Index {
		t.Errorf("facts = %+v, want created %v", facts, cf.Created.Time)
	}

	plain := NewSession(privatePlan(), &Clients{}, &redact.Hook{})
	if _, err := plain.clients.ImageFacts(context.Background(), ref, Token{User: "AWS", Password: "x"}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("read over the default transport: err = %v, want a certificate error", err)
	}
}
