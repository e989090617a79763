package awsecr

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"

	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// testJWT is a well-formed web identity token (its signature is not checked).
const testJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOnRlYW0vYXBwIn0.c2lnbmF0dXJl"

const standInHost = localecr.AccountID + ".dkr.ecr.us-east-1.amazonaws.com"

// standIn serves the local ECR, ECR Public and STS APIs and points the real
// SDK clients at them, with nothing else the default chain could find. The
// docker config goes to a temporary directory.
func standIn(t *testing.T) *localecr.API {
	t.Helper()
	api := localecr.NewAPI(nil)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_ENDPOINT_URL",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_ECR": srv.URL, "AWS_ENDPOINT_URL_STS": srv.URL, "AWS_ENDPOINT_URL_ECR_PUBLIC": srv.URL,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
		"DOCKER_CONFIG": t.TempDir(),
	} {
		t.Setenv(k, v)
	}
	old := awsRetryMaxBackoff
	awsRetryMaxBackoff = 5 * time.Millisecond
	t.Cleanup(func() { awsRetryMaxBackoff = old })
	return api
}

// wantRunFailure checks that err ends the run with exit status 1 (a failed
// call or check), not 2: plugin.ExitCode gives 2 only to a
// *settings.ValidationError.
func wantRunFailure(t *testing.T, err error) {
	t.Helper()
	var ve *settings.ValidationError
	if err == nil || errors.As(err, &ve) {
		t.Errorf("err = %v, want a run failure (exit status 1)", err)
	}
}

// captureLog sends the standard logger to a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	l := logrus.StandardLogger()
	out, level, formatter := l.Out, l.GetLevel(), l.Formatter
	l.SetOutput(&buf)
	l.SetLevel(logrus.DebugLevel)
	l.SetFormatter(&logrus.TextFormatter{DisableColors: true, DisableTimestamp: true})
	t.Cleanup(func() { l.SetOutput(out); l.SetLevel(level); l.SetFormatter(formatter) })
	return &buf
}

func privatePlan() *settings.Plan {
	return &settings.Plan{
		Registry: standInHost, Host: standInHost, AccountID: localecr.AccountID, Region: "us-east-1",
		Repo: "team/app", Tags: []string{"v1"}, CacheTTL: 336 * time.Hour,
		AccessKey: "AKIASTATIC", SecretKey: "static-secret",
	}
}

// checkWith runs the checks before the build with the real SDK clients.
func checkWith(t *testing.T, p *settings.Plan) (*Session, error) {
	t.Helper()
	clients, err := NewClients(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(p, clients, &redact.Hook{})
	return s, s.Check(context.Background())
}

func writeTokenFile(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(testJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// Each connector mode signs every call with the credentials it should:
// the stand-in records the SigV4 access key of each request, and issues
// ROLEASIALOCAL for AssumeRole and WEBASIALOCAL for web identity.
func TestEveryCredentialModeSignsWithTheRightKey(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/ci-push"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		plan    func(p *settings.Plan)
		signers map[string]string // operation → access key that signed it ("" unsigned)
		log     []string
		check   func(t *testing.T, calls []localecr.Call)
	}{
		{
			name:    "static keys",
			signers: map[string]string{"GetCallerIdentity": "AKIASTATIC", "GetAuthorizationToken": "AKIASTATIC", "DescribeRepositories": "AKIASTATIC"},
			log:     []string{"AWS credentials: static keys (PLUGIN_ACCESS_KEY) (provider StaticCredentials)", "AWS identity: arn:aws:iam::123456789012:user/local"},
		},
		{
			name:    "static keys with a session token",
			plan:    func(p *settings.Plan) { p.SessionToken = "static-session" },
			signers: map[string]string{"GetCallerIdentity": "AKIASTATIC", "GetAuthorizationToken": "AKIASTATIC", "DescribeRepositories": "AKIASTATIC"},
			log:     []string{"temporary static keys (PLUGIN_ACCESS_KEY, PLUGIN_SESSION_TOKEN)"},
		},
		{
			name:    "default chain: environment",
			env:     map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"},
			plan:    func(p *settings.Plan) { p.AccessKey, p.SecretKey = "", "" },
			signers: map[string]string{"GetCallerIdentity": "AKIAENV", "GetAuthorizationToken": "AKIAENV", "DescribeRepositories": "AKIAENV"},
			log:     []string{"AWS credentials: the default credential chain (provider EnvConfigCredentials)"},
		},
		{
			name:    "default chain: web identity (IRSA)",
			env:     map[string]string{"AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": "<token file>"},
			plan:    func(p *settings.Plan) { p.AccessKey, p.SecretKey = "", "" },
			signers: map[string]string{"AssumeRoleWithWebIdentity": "", "GetCallerIdentity": "WEBASIALOCAL", "GetAuthorizationToken": "WEBASIALOCAL", "DescribeRepositories": "WEBASIALOCAL"},
			log:     []string{"(provider WebIdentityCredentials)", "AWS identity: arn:aws:sts::123456789012:assumed-role/local/web"},
		},
		{
			name: "assume role with external id on static keys",
			plan: func(p *settings.Plan) {
				p.AWS.AssumeRole, p.AWS.ExternalID, p.AWS.RoleSessionName = role, "ext-1", "kaniko-ecr-7"
			},
			signers: map[string]string{"AssumeRole": "AKIASTATIC", "GetCallerIdentity": "ROLEASIALOCAL", "GetAuthorizationToken": "ROLEASIALOCAL", "DescribeRepositories": "ROLEASIALOCAL"},
			log:     []string{"AWS credentials: assume role " + role + " with PLUGIN_EXTERNAL_ID on top of static keys (PLUGIN_ACCESS_KEY) (provider AssumeRoleProvider)", "assumed-role/local/session"},
			check: func(t *testing.T, calls []localecr.Call) {
				q := formOf(t, calls, "AssumeRole")
				if q.Get("RoleArn") != role || q.Get("ExternalId") != "ext-1" || q.Get("RoleSessionName") != "kaniko-ecr-7" {
					t.Errorf("AssumeRole request %v", q)
				}
			},
		},
		{
			name: "assume role on the default chain",
			env:  map[string]string{"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"},
			plan: func(p *settings.Plan) {
				p.AccessKey, p.SecretKey, p.AWS.AssumeRole, p.AWS.RoleSessionName = "", "", role, "kaniko-ecr"
			},
			signers: map[string]string{"AssumeRole": "AKIAENV", "GetCallerIdentity": "ROLEASIALOCAL", "GetAuthorizationToken": "ROLEASIALOCAL", "DescribeRepositories": "ROLEASIALOCAL"},
			log:     []string{"assume role " + role + " on top of the default credential chain"},
		},
		{
			name: "assume role on IRSA: role chaining",
			env:  map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/pod", "AWS_WEB_IDENTITY_TOKEN_FILE": "<token file>"},
			plan: func(p *settings.Plan) {
				p.AccessKey, p.SecretKey, p.AWS.AssumeRole, p.AWS.RoleSessionName = "", "", role, "kaniko-ecr"
			},
			signers: map[string]string{"AssumeRoleWithWebIdentity": "", "AssumeRole": "WEBASIALOCAL", "GetCallerIdentity": "ROLEASIALOCAL", "GetAuthorizationToken": "ROLEASIALOCAL", "DescribeRepositories": "ROLEASIALOCAL"},
		},
		{
			name: "OIDC web identity",
			plan: func(p *settings.Plan) {
				p.AccessKey, p.SecretKey, p.AWS.AssumeRole, p.AWS.OIDCToken, p.AWS.RoleSessionName = "", "", role, testJWT, "kaniko-ecr"
			},
			signers: map[string]string{"AssumeRoleWithWebIdentity": "", "GetCallerIdentity": "WEBASIALOCAL", "GetAuthorizationToken": "WEBASIALOCAL", "DescribeRepositories": "WEBASIALOCAL"},
			log:     []string{"AWS credentials: web identity: AssumeRoleWithWebIdentity of " + role + " with PLUGIN_OIDC_TOKEN_ID"},
			check: func(t *testing.T, calls []localecr.Call) {
				q := formOf(t, calls, "AssumeRoleWithWebIdentity")
				if q.Get("RoleArn") != role || q.Get("WebIdentityToken") != testJWT || q.Get("RoleSessionName") != "kaniko-ecr" {
					t.Errorf("AssumeRoleWithWebIdentity request has RoleArn %q, session %q, token ok %v", q.Get("RoleArn"), q.Get("RoleSessionName"), q.Get("WebIdentityToken") == testJWT)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := standIn(t)
			api.AddRepository(localecr.Repository{Name: "team/app"})
			for k, v := range tc.env {
				if v == "<token file>" {
					v = writeTokenFile(t)
				}
				t.Setenv(k, v)
			}
			log := captureLog(t)
			p := privatePlan()
			if tc.plan != nil {
				tc.plan(p)
			}
			s, err := checkWith(t, p)
			if err != nil {
				t.Fatalf("%v\n%s", err, log)
			}
			calls := api.Calls()
			seen := map[string]bool{}
			for _, c := range calls {
				want, ok := tc.signers[c.Op]
				if !ok {
					t.Errorf("unexpected call %s", c.Op)
				} else if c.AccessKey != want {
					t.Errorf("%s signed by %q, want %q", c.Op, c.AccessKey, want)
				}
				seen[c.Op] = true
			}
			for op := range tc.signers {
				if !seen[op] {
					t.Errorf("no %s call; calls: %+v", op, calls)
				}
			}
			for _, want := range tc.log {
				if !strings.Contains(log.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, log)
				}
			}
			if tc.check != nil {
				tc.check(t, calls)
			}
			if a, err := s.Authorization(); err != nil || a.Password == "" {
				t.Errorf("the session holds no registry token: %v", err)
			}
			if _, err := os.Stat(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")); err == nil {
				t.Error("the checks wrote the registry token to the docker config")
			}
			for _, secret := range []string{"static-secret", "env-secret", "local-secret", "local-session", testJWT, "not-a-registry"} {
				if strings.Contains(log.String(), secret) {
					t.Errorf("the log shows secret %q", secret)
				}
			}
		})
	}
}

func formOf(t *testing.T, calls []localecr.Call, op string) url.Values {
	t.Helper()
	for _, c := range calls {
		if c.Op == op {
			q, err := url.ParseQuery(c.Body)
			if err != nil {
				t.Fatal(err)
			}
			return q
		}
	}
	t.Fatalf("no %s call", op)
	return nil
}

func TestThrottlingIsRetriedAndTheChecksPass(t *testing.T) {
	api := standIn(t)
	captureLog(t)
	api.AddRepository(localecr.Repository{Name: "team/app"})
	api.Inject(localecr.Fault{Op: "GetAuthorizationToken", Code: "ThrottlingException", Message: "Rate exceeded", Times: 2})
	api.Inject(localecr.Fault{Op: "DescribeRepositories", Code: "ThrottlingException", Message: "Rate exceeded", Times: 2})
	if _, err := checkWith(t, privatePlan()); err != nil {
		t.Fatal(err)
	}
	if n := api.Count("GetAuthorizationToken"); n != 3 {
		t.Errorf("GetAuthorizationToken called %d times, want 3 (two throttled)", n)
	}
	if n := api.Count("DescribeRepositories"); n != 3 {
		t.Errorf("DescribeRepositories called %d times, want 3", n)
	}
}

func TestAWSFailuresNameTheCodeAndWhatToCheck(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/ci-push"
	for _, tc := range []struct {
		name   string
		fault  localecr.Fault
		plan   func(p *settings.Plan)
		want   []string
		noCall string // an operation that must not have been called
	}{
		{
			name:  "ECR denies the token",
			fault: localecr.Fault{Op: "GetAuthorizationToken", Code: "AccessDeniedException", Message: "not authorized", Times: 1},
			want:  []string{"getting an ECR authorization token in us-east-1", "AccessDeniedException", "may not call ecr:GetAuthorizationToken"},
		},
		{
			name:  "unknown access key",
			fault: localecr.Fault{Op: "GetAuthorizationToken", Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Times: 1},
			want:  []string{"UnrecognizedClientException", "AWS does not know the access key id of static keys (PLUGIN_ACCESS_KEY)"},
		},
		{
			name:   "the role's trust policy refuses",
			fault:  localecr.Fault{Op: "AssumeRole", Code: "AccessDenied", Message: "not authorized to perform: sts:AssumeRole", Times: 1, Status: 403},
			plan:   func(p *settings.Plan) { p.AWS.AssumeRole, p.AWS.RoleSessionName = role, "kaniko-ecr" },
			want:   []string{"signing in to AWS with assume role " + role, "AccessDenied", "check the trust policy of " + role, "whether it wants PLUGIN_EXTERNAL_ID"},
			noCall: "GetAuthorizationToken",
		},
		{
			name:  "STS rejects the OIDC token",
			fault: localecr.Fault{Op: "AssumeRoleWithWebIdentity", Code: "InvalidIdentityToken", Message: "Couldn't retrieve verification key", Times: 10},
			plan: func(p *settings.Plan) {
				p.AccessKey, p.SecretKey, p.AWS.AssumeRole, p.AWS.OIDCToken = "", "", role, testJWT
			},
			want:   []string{"InvalidIdentityToken", "STS rejected PLUGIN_OIDC_TOKEN_ID"},
			noCall: "GetAuthorizationToken",
		},
		{
			name:   "no credentials anywhere",
			plan:   func(p *settings.Plan) { p.AccessKey, p.SecretKey = "", "" },
			want:   []string{"signing in to AWS with the default credential chain", "no usable credentials in the default chain"},
			noCall: "GetAuthorizationToken",
		},
		{
			name:  "throttled beyond the retries",
			fault: localecr.Fault{Op: "GetAuthorizationToken", Code: "ThrottlingException", Message: "Rate exceeded", Times: 10},
			want:  []string{"ThrottlingException", "AWS kept throttling after 5 attempts"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := standIn(t)
			api.AddRepository(localecr.Repository{Name: "team/app"})
			if tc.fault.Op != "" {
				api.Inject(tc.fault)
			}
			log := captureLog(t)
			p := privatePlan()
			if tc.plan != nil {
				tc.plan(p)
			}
			_, err := checkWith(t, p)
			if err == nil {
				t.Fatal("the checks passed")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			wantRunFailure(t, err)
			if tc.noCall != "" && api.Count(tc.noCall) != 0 {
				t.Errorf("%s was called after signing in failed", tc.noCall)
			}
			if _, err := os.Stat(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")); err == nil {
				t.Error("the docker config was written")
			}
			if strings.Contains(log.String(), "repository") {
				t.Errorf("repository notes were logged although signing in failed:\n%s", log)
			}
		})
	}
}

func TestRepositoryManagement(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(api *localecr.API)
		plan    func(p *settings.Plan)
		wantErr string
		check   func(t *testing.T, api *localecr.API, log string)
	}{
		{
			name: "missing and not to be created",
			setup: func(api *localecr.API) {
			},
			wantErr: "repository team/app does not exist in " + standInHost + ": create it, or set PLUGIN_CREATE_REPOSITORY=true",
		},
		{
			name: "created with immutable tags, scan on push and both policies",
			plan: func(p *settings.Plan) {
				p.AWS.CreateRepository, p.AWS.TagImmutability, p.AWS.ScanOnPush = true, "IMMUTABLE", true
				p.AWS.LifecyclePolicy = []byte(`{"rules":[]}`)
				p.AWS.RepositoryPolicy = []byte(`{"Version":"2012-10-17"}`)
			},
			check: func(t *testing.T, api *localecr.API, log string) {
				r, ok := api.Repository("team/app")
				if !ok || r.Mutability != "IMMUTABLE" || !r.ScanOnPush || r.LifecyclePolicy != `{"rules":[]}` || r.RepositoryPolicy != `{"Version":"2012-10-17"}` {
					t.Errorf("repository %+v", r)
				}
				if !strings.Contains(log, "created repository team/app in "+standInHost+" (IMMUTABLE, scan on push)") {
					t.Errorf("log:\n%s", log)
				}
			},
		},
		{
			name: "created by someone else meanwhile: already exists is success",
			setup: func(api *localecr.API) {
				api.AddRepository(localecr.Repository{Name: "team/app", Mutability: "IMMUTABLE"})
				api.Inject(localecr.Fault{Op: "DescribeRepositories", Code: "RepositoryNotFoundException", Times: 1})
			},
			plan: func(p *settings.Plan) { p.AWS.CreateRepository = true },
			check: func(t *testing.T, api *localecr.API, log string) {
				if api.Count("CreateRepository") != 1 || api.Count("DescribeRepositories") != 2 || api.Count("DescribeImages") != 1 {
					t.Errorf("calls %+v", api.Calls())
				}
			},
		},
		{
			name: "any other create error is an error",
			setup: func(api *localecr.API) {
				api.Inject(localecr.Fault{Op: "CreateRepository", Code: "KmsException", Times: 1})
			},
			plan:    func(p *settings.Plan) { p.AWS.CreateRepository = true },
			wantErr: "creating repository team/app in " + standInHost + ": KmsException",
		},
		{
			name: "a failing policy is an error",
			setup: func(api *localecr.API) {
				api.AddRepository(localecr.Repository{Name: "team/app"})
				api.Inject(localecr.Fault{Op: "PutLifecyclePolicy", Code: "InvalidParameterException", Times: 1})
			},
			plan:    func(p *settings.Plan) { p.AWS.LifecyclePolicy = []byte(`{"rules":[]}`) },
			wantErr: "applying PLUGIN_LIFECYCLE_POLICY to repository team/app: InvalidParameterException",
		},
		{
			name: "no permission to describe: a warning, the push will tell",
			setup: func(api *localecr.API) {
				api.Inject(localecr.Fault{Op: "DescribeRepositories", Code: "AccessDeniedException", Times: 1})
			},
			check: func(t *testing.T, api *localecr.API, log string) {
				if !strings.Contains(log, "lacks ecr:DescribeRepositories") {
					t.Errorf("log:\n%s", log)
				}
			},
		},
		{
			name:  "requested immutability on an existing mutable repository: a warning",
			setup: func(api *localecr.API) { api.AddRepository(localecr.Repository{Name: "team/app"}) },
			plan:  func(p *settings.Plan) { p.AWS.TagImmutability = "IMMUTABLE" },
			check: func(t *testing.T, api *localecr.API, log string) {
				if !strings.Contains(log, "PLUGIN_TAG_IMMUTABILITY=IMMUTABLE applies only to a repository that PLUGIN_CREATE_REPOSITORY creates; team/app is MUTABLE") {
					t.Errorf("log:\n%s", log)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := standIn(t)
			if tc.setup != nil {
				tc.setup(api)
			}
			log := captureLog(t)
			p := privatePlan()
			if tc.plan != nil {
				tc.plan(p)
			}
			_, err := checkWith(t, p)
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, api, log.String())
			}
		})
	}
}

func TestCacheRepositoryNeverFailsTheRun(t *testing.T) {
	for _, tc := range []struct {
		name      string
		setup     func(api *localecr.API)
		create    bool
		wantCache bool
		log       string
		check     func(t *testing.T, api *localecr.API)
	}{
		{name: "exists", setup: func(api *localecr.API) { api.AddRepository(localecr.Repository{Name: "team/cache"}) }, wantCache: true},
		{name: "missing: build without cache", log: "cache repository team/cache does not exist in " + standInHost + ": building without the layer cache"},
		{
			name: "missing: created with a lifecycle rule", create: true, wantCache: true,
			log: "created the cache repository team/cache in " + standInHost + ", with a lifecycle rule that expires images 36h0m0s after their push",
			check: func(t *testing.T, api *localecr.API) {
				r, ok := api.Repository("team/cache")
				if !ok || r.Mutability != "MUTABLE" || !strings.Contains(r.LifecyclePolicy, `"countType":"sinceImagePushed","countUnit":"days","countNumber":2`) {
					t.Errorf("cache repository %+v", r)
				}
			},
		},
		{
			name: "missing and cannot be created: build without cache", create: true,
			setup: func(api *localecr.API) {
				api.Inject(localecr.Fault{Op: "CreateRepository", Match: `"team/cache"`, Code: "AccessDeniedException", Times: 1})
			},
			log: "creating the cache repository team/cache",
		},
		{
			name: "created, but not its lifecycle rule: cache used", create: true, wantCache: true,
			setup: func(api *localecr.API) {
				api.Inject(localecr.Fault{Op: "PutLifecyclePolicy", Match: `"team/cache"`, Code: "AccessDeniedException", Times: 1})
			},
			log: "created the cache repository team/cache, but not its lifecycle rule",
		},
		{
			name: "cannot be checked: used as it is", wantCache: true,
			setup: func(api *localecr.API) {
				api.Inject(localecr.Fault{Op: "DescribeRepositories", Match: `"team/cache"`, Code: "AccessDeniedException", Times: 1})
			},
			log: "cannot check the cache repository team/cache",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := standIn(t)
			api.AddRepository(localecr.Repository{Name: "team/app"})
			if tc.setup != nil {
				tc.setup(api)
			}
			log := captureLog(t)
			p := privatePlan()
			p.Cache, p.CacheRepo, p.CacheTTL, p.AWS.CreateRepository = true, standInHost+"/team/cache", 36*time.Hour, tc.create
			s, err := checkWith(t, p)
			if err != nil {
				t.Fatalf("the cache failed the run: %v", err)
			}
			if cache := !s.NoCache(); cache != tc.wantCache {
				t.Errorf("cache %v, want %v\n%s", cache, tc.wantCache, log)
			}
			if tc.log != "" && !strings.Contains(log.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, log)
			}
			if tc.check != nil {
				tc.check(t, api)
			}
		})
	}
}

func TestECRPublicUsesItsOwnAPIInUSEast1(t *testing.T) {
	api := standIn(t)
	log := captureLog(t)
	p := &settings.Plan{
		Registry: "public.ecr.aws/my-alias", Host: "public.ecr.aws", Region: "eu-west-1", Repo: "tools/app", Tags: []string{"v1"},
		AccessKey: "AKIASTATIC", SecretKey: "static-secret", Cache: true, CacheTTL: time.Hour,
		AWS: settings.AWSPlan{PublicAlias: "my-alias", CreateRepository: true, RepositoryPolicy: []byte(`{"Version":"2012-10-17"}`)},
	}
	s, err := checkWith(t, p)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	for _, c := range api.Calls() {
		if c.Service == localecr.ServiceECR {
			t.Errorf("private ECR called: %s", c.Op)
		}
	}
	for _, op := range []string{"GetAuthorizationToken", "DescribeRepositories", "CreateRepository", "SetRepositoryPolicy"} {
		if api.Count(op) == 0 {
			t.Errorf("no ECR Public %s call", op)
		}
	}
	r, ok := api.PublicRepository("tools/app")
	if !ok || r.RepositoryPolicy != `{"Version":"2012-10-17"}` {
		t.Errorf("public repository %+v", r)
	}
	if _, ok := api.PublicRepository("tools/app/cache"); !ok {
		t.Error("the cache repository was not created")
	}
	restore, err := s.WriteBuildConfig(context.Background(), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	cfg, err := docker.Load(os.Getenv("DOCKER_CONFIG"))
	if err != nil || cfg.Auths["public.ecr.aws"].Auth == "" {
		t.Errorf("the build's docker config lacks public.ecr.aws: %v", err)
	}
	if !strings.Contains(log.String(), "created repository tools/app in public.ecr.aws/my-alias") {
		t.Errorf("log:\n%s", log)
	}
}

func TestCacheLifecyclePolicyRoundsUpToWholeDays(t *testing.T) {
	for ttl, days := range map[time.Duration]string{time.Hour: `"countNumber":1`, 24 * time.Hour: `"countNumber":1`, 25 * time.Hour: `"countNumber":2`, 336 * time.Hour: `"countNumber":14`} {
		pol, err := cacheLifecyclePolicy(ttl)
		if err != nil || !strings.Contains(pol, days) || !strings.Contains(pol, `"action":{"type":"expire"}`) {
			t.Errorf("ttl %s: %s, %v", ttl, pol, err)
		}
	}
}

func TestAWSCallErrorUnwraps(t *testing.T) {
	inner := errors.New("boom")
	err := explain(privatePlan(), callToken, "doing it", inner)
	if !errors.Is(err, inner) || err.Error() != "doing it: boom" {
		t.Errorf("%v", err)
	}
}
