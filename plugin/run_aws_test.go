package plugin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

// fakeBuilder records the spec it got and runs BeforePush as kaniko.go
// does, with a made-up digest.
type fakeBuilder struct {
	digest  string
	called  bool
	spec    BuildSpec
	skipped []string
}

func (b *fakeBuilder) Build(ctx context.Context, spec BuildSpec) (BuildResult, error) {
	b.called, b.spec = true, spec
	if spec.BeforePush != nil {
		skip, err := spec.BeforePush(ctx, b.digest)
		if err != nil {
			return BuildResult{}, err
		}
		b.skipped = skip
	}
	return BuildResult{Digest: b.digest, Pushed: spec.Destinations}, nil
}

// PushTarball behaves as Build: only the image's source differs.
func (b *fakeBuilder) PushTarball(ctx context.Context, spec BuildSpec, _ string) (BuildResult, error) {
	return b.Build(ctx, spec)
}

// runWithFakes runs the whole plugin with env as its settings, fake AWS
// clients and a fake builder.
func runWithFakes(t *testing.T, env map[string]string, reg *fakeRegistry, facts func(context.Context, string, registryToken) (imageFacts, error)) (*fakeBuilder, string, error) {
	t.Helper()
	dir := workspace(t)
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
	captureLog(t) // restores the logger that Run reconfigures
	if facts == nil {
		facts = func(context.Context, string, registryToken) (imageFacts, error) {
			return imageFacts{}, errors.New("no registry in unit tests")
		}
	}
	b := &fakeBuilder{digest: digestA}
	var stderr bytes.Buffer
	err := Run(context.Background(), Deps{
		Builder: b, Env: Env{Lookup: os.LookupEnv, Dir: dir}, Stdout: &bytes.Buffer{}, Stderr: &stderr,
		Exe: "/kaniko/kaniko-ecr", EUID: 0,
		NewAWS: func(context.Context, *Plan) (*awsClients, error) {
			return &awsClients{Registry: reg, STS: fakeSTS{}, ImageFacts: facts}, nil
		},
	})
	return b, stderr.String(), err
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
			reg: &fakeRegistry{tokenFn: func(context.Context) (registryToken, error) {
				return registryToken{}, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
			}},
			want: "AccessDeniedException (the identity may not call ecr:GetAuthorizationToken",
		},
		{
			name: "missing repository",
			reg: &fakeRegistry{describeFn: func(context.Context, string) (repoInfo, error) {
				return repoInfo{}, errRepoNotFound
			}},
			want: "set PLUGIN_CREATE_REPOSITORY=true",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, log, err := runWithFakes(t, tc.env, tc.reg, nil)
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
	reg := &fakeRegistry{describeFn: func(_ context.Context, name string) (repoInfo, error) {
		if name == "team/cache" {
			return repoInfo{}, errRepoNotFound
		}
		return repoInfo{Name: name, Mutability: "MUTABLE"}, nil
	}}
	b, log, err := runWithFakes(t, map[string]string{"PLUGIN_CACHE_REPO": "team/cache"}, reg, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if !b.called || b.spec.Cache || b.spec.BeforePush == nil {
		t.Errorf("build called %v, cache %v, hook %v", b.called, b.spec.Cache, b.spec.BeforePush != nil)
	}
	if !strings.Contains(log, "cache repository team/cache does not exist") {
		t.Errorf("log:\n%s", log)
	}
}

func TestRunComparesReproducibleTagsAfterTheBuild(t *testing.T) {
	reg := &fakeRegistry{describeFn: immutableRepo, tagDigestFn: digestsOf(map[string]string{"v1": digestA})}
	reproducible := func(context.Context, string, registryToken) (imageFacts, error) { return imageFacts{}, nil }

	// The build gives the digest v1 holds: success, v1 is not pushed again.
	b, log, err := runWithFakes(t, map[string]string{"PLUGIN_TAGS": "v1,v2", "PLUGIN_REPRODUCIBLE": "true"}, reg, reproducible)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if len(b.skipped) != 1 || b.skipped[0] != standInHost+"/team/app:v1" {
		t.Errorf("skipped %v", b.skipped)
	}

	// Another digest: the run fails after the build, with nothing pushed.
	reg.tagDigestFn = digestsOf(map[string]string{"v1": digestB})
	b, log, err = runWithFakes(t, map[string]string{"PLUGIN_TAGS": "v1,v2", "PLUGIN_REPRODUCIBLE": "true"}, reg, reproducible)
	var ce *TagConflictError
	if !errors.As(err, &ce) || !ce.Built || ExitCode(err) != 1 {
		t.Fatalf("err = %v\n%s", err, log)
	}
	if !b.called || b.skipped != nil {
		t.Errorf("build called %v, skipped %v", b.called, b.skipped)
	}
}
