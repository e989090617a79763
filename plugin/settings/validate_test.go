package settings

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/provenanceinput"
	"github.com/kelseyhightower/envconfig"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const testRegistry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

// workspace makes a directory with a two-stage Dockerfile.
func workspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	df := "FROM busybox AS build\nRUN true\nFROM busybox AS final\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// validate sets env (and nothing else from the PLUGIN_ namespace) and runs
// Load and Validate in dir.
func validate(t *testing.T, dir string, env map[string]string) (*Plan, error) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PLUGIN_") || strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "DRONE_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	s, _, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(Env{Lookup: os.LookupEnv, Dir: dir})
}

func TestValidateResolvesThePlan(t *testing.T) {
	dir := workspace(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want func(p *Plan) // sets expected fields on a copy of the base plan
	}{
		{
			name: "registry host gives account and region; defaults apply",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app"},
			want: func(p *Plan) {},
		},
		{
			name: "account and region form the registry",
			env:  map[string]string{"PLUGIN_ACCOUNT_ID": "123456789012", "PLUGIN_REGION": "eu-west-1", "PLUGIN_REPO": "team/app"},
			want: func(p *Plan) {},
		},
		{
			name: "repo with registry prefix, scheme on registry, duplicate tags",
			env:  map[string]string{"PLUGIN_REGISTRY": "https://" + testRegistry, "PLUGIN_REPO": testRegistry + "/team/app", "PLUGIN_TAGS": "v1, v1,latest"},
			want: func(p *Plan) { p.Tags = []string{"v1", "latest"} },
		},
		{
			name: "optimize false means full snapshots",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_OPTIMIZE": "false"},
			want: func(p *Plan) { p.Snapshot = "full" },
		},
		{
			name: "cache repo implies cache and is made absolute",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_CACHE_REPO": testRegistry + "/team/cache", "PLUGIN_CACHE_TTL": "6"},
			want: func(p *Plan) {
				p.Cache, p.CacheRepo, p.CacheTTL = true, testRegistry+"/team/cache", 6*time.Hour
				p.Kaniko.CacheCopyLayers = true
			},
		},
		{
			name: "with the cache on, PLUGIN_CACHE_COPY_LAYERS=false keeps kaniko's uncached COPY",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_ENABLE_CACHE": "true", "PLUGIN_CACHE_COPY_LAYERS": "false"},
			want: func(p *Plan) { p.Cache = true },
		},
		{
			name: "with the cache on, COPY layers come from it by default",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_ENABLE_CACHE": "true"},
			want: func(p *Plan) { p.Cache, p.Kaniko.CacheCopyLayers = true, true },
		},
		{
			name: "with the cache off, COPY layers are not cached unless asked",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_CACHE_REPO": "team/cache", "PLUGIN_ENABLE_CACHE": "false"},
			want: func(p *Plan) { p.CacheRepo = testRegistry + "/team/cache" },
		},
		{
			name: "build args, labels alias, target, context and dockerfile in context",
			env: map[string]string{
				"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
				"PLUGIN_BUILD_ARGS": `["A=1,2", "FROM_ENV"]`, "FROM_ENV": "x y",
				"PLUGIN_LABELS": `{"team":"core"}`, "PLUGIN_TARGET": "final",
			},
			want: func(p *Plan) {
				p.BuildArgs = []string{"A=1,2", "FROM_ENV=x y"}
				p.Labels = []string{"team=core"}
				p.Target = "final"
			},
		},
		{
			name: "build args: _NEW replaces the comma list when both are set, _FROM_ENV adds and wins; expanded tags",
			env: map[string]string{
				"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
				"PLUGIN_BUILD_ARGS": "A=1,B=2", "PLUGIN_BUILD_ARGS_NEW": "B=x,y;C=\"q\" = 'r';GIT_SHA=old",
				"PLUGIN_BUILD_ARGS_FROM_ENV": "GIT_SHA", "GIT_SHA": "abc123",
				"PLUGIN_TAGS": "v1.2.3,latest", "PLUGIN_EXPAND_TAG": "true",
			},
			want: func(p *Plan) {
				p.BuildArgs = []string{"B=x,y", "C=\"q\" = 'r'", "GIT_SHA=abc123"}
				p.Tags = []string{"1", "1.2", "1.2.3", "latest"}
			},
		},
		{
			name: "Harness sends a value with a comma twice: PLUGIN_MULTIPLE_BUILD_ARGS keeps it whole, no bogus arg",
			env: map[string]string{
				"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
				"PLUGIN_BUILD_ARGS": "GREETING=hello,world", "PLUGIN_BUILD_ARGS_NEW": "GREETING=hello,world",
				"PLUGIN_MULTIPLE_BUILD_ARGS": "true",
			},
			want: func(p *Plan) { p.BuildArgs = []string{"GREETING=hello,world"} },
		},
		{
			name: "PLUGIN_MULTIPLE_BUILD_ARGS: only the _NEW list counts, even when it is empty",
			env: map[string]string{
				"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
				"PLUGIN_BUILD_ARGS": "A=1", "PLUGIN_MULTIPLE_BUILD_ARGS": "true",
			},
			want: func(p *Plan) {},
		},
		{
			name: "the comma list alone still counts",
			env: map[string]string{
				"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
				"PLUGIN_BUILD_ARGS": "A=1,B=2",
			},
			want: func(p *Plan) { p.BuildArgs = []string{"A=1", "B=2"} },
		},
		{
			name: "auto tag on a feature branch skips the build",
			env: map[string]string{
				"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_AUTO_TAG": "true",
				"DRONE_COMMIT_BRANCH": "feature/x", "DRONE_REPO_BRANCH": "main",
			},
			want: func(p *Plan) {
				p.Tags = nil
				p.Skip = `PLUGIN_AUTO_TAG: branch "feature/x" is not the default branch "main": no tags, build skipped`
			},
		},
		{
			name: "base image connector from Harness's PLUGIN_DOCKER_* names",
			env: map[string]string{
				"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
				"PLUGIN_DOCKER_REGISTRY": "https://index.docker.io/v2/", "PLUGIN_DOCKER_USERNAME": "hub", "PLUGIN_DOCKER_PASSWORD": "pw",
			},
			want: func(p *Plan) {
				p.BaseImage = BaseImageAuth{Registry: "https://index.docker.io/v1/", Username: "hub", Password: "pw"}
			},
		},
		{
			name: "provenance max, signed with a KMS alias given in cosign's form",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_PROVENANCE": "max", "PLUGIN_PROVENANCE_KMS_KEY": "awskms:///alias/ci-provenance"},
			want: func(p *Plan) {
				p.Provenance = provenanceinput.Plan{Mode: "max", KMSKey: "alias/ci-provenance", Attach: "SLSA v1 provenance (mode=max), DSSE envelope signed with KMS key alias/ci-provenance, as an OCI 1.1 referrer of each pushed image manifest"}
			},
		},
		{
			name: "provenance false attaches nothing",
			env:  map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_PROVENANCE": "false"},
			want: func(p *Plan) { p.Provenance = provenanceinput.Plan{Attach: "nothing (PLUGIN_PROVENANCE=false)"} },
		},
		{
			name: "other host with an endpoint override",
			env:  map[string]string{"PLUGIN_REGISTRY": "127.0.0.1:5443", "AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:1", "AWS_REGION": "us-east-2", "PLUGIN_REPO": "app"},
			want: func(p *Plan) {
				p.Registry, p.Host, p.AccountID, p.Region, p.Repo = "127.0.0.1:5443", "127.0.0.1:5443", "", "us-east-2", "app"
				p.RegistryURL = "127.0.0.1:5443"
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := validate(t, dir, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			want := &Plan{
				Registry: testRegistry, Host: testRegistry, AccountID: "123456789012", Region: "eu-west-1",
				Repo: "team/app", Tags: []string{"latest"},
				Dockerfile: filepath.Join(dir, "Dockerfile"), Context: dir,
				Snapshot: "redo", CacheTTL: 336 * time.Hour, PushRetry: 3, ImageDownloadRetry: 3,
				Kaniko:     KanikoFlags{CacheRunLayers: true, SkipUnusedStages: true, Compression: "gzip"},
				Provenance: provenanceinput.Mode{V: "min"}.Plan(provenanceinput.KMSKey{}),
			}
			want.RegistryURL = tc.env["PLUGIN_REGISTRY"]
			if want.RegistryURL == "" {
				want.RegistryURL = testRegistry
			}
			tc.want(want)
			// What the front end made of the Dockerfile has tests of its own.
			if d := cmp.Diff(want, got, cmpopts.IgnoreFields(Plan{}, "Frontend")); d != "" {
				t.Errorf("plan (-want +got):\n%s", d)
			}
		})
	}
}

func TestValidateNamesTheVariableOfEveryProblem(t *testing.T) {
	dir := workspace(t)
	base := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing set", map[string]string{}, []string{"PLUGIN_REGISTRY is required", "PLUGIN_REPO is required"}},
		{"bad region", map[string]string{"PLUGIN_REGION": "us-east-9", "PLUGIN_ACCOUNT_ID": "123456789012", "PLUGIN_REPO": "a/b"}, []string{`PLUGIN_REGION: "us-east-9" is not an AWS region`}},
		{"bad account", map[string]string{"PLUGIN_REGION": "us-east-1", "PLUGIN_ACCOUNT_ID": "1234", "PLUGIN_REPO": "a/b"}, []string{"PLUGIN_ACCOUNT_ID: \"1234\" is not an AWS account id"}},
		{"registry and region disagree", map[string]string{"PLUGIN_REGION": "us-east-1"}, []string{"PLUGIN_REGION: \"us-east-1\" differs"}},
		{"non-ECR registry without override", map[string]string{"PLUGIN_REGISTRY": "registry.example.com"}, []string{"PLUGIN_REGISTRY: \"registry.example.com\" is not an ECR registry"}},
		{"uppercase repo", map[string]string{"PLUGIN_REPO": "Team/App"}, []string{"PLUGIN_REPO: \"Team/App\" is not a valid ECR repository name"}},
		{"bad tags", map[string]string{"PLUGIN_TAGS": "v1 2,-x,ok"}, []string{`PLUGIN_TAGS: "v1 2" is not a valid tag`, `PLUGIN_TAGS: "-x" is not a valid tag`}},
		{"bad bool and int", map[string]string{"PLUGIN_ENABLE_CACHE": "maybe", "PLUGIN_PUSH_RETRY": "x"}, []string{"PLUGIN_ENABLE_CACHE: \"maybe\" is not a boolean", "PLUGIN_PUSH_RETRY: \"x\" is not a whole number"}},
		{"missing dockerfile and context", map[string]string{"PLUGIN_DOCKERFILE": "nope/Dockerfile", "PLUGIN_CONTEXT": "nope"}, []string{"PLUGIN_CONTEXT: \"nope\" is not a directory"}},
		{"missing dockerfile", map[string]string{"PLUGIN_DOCKERFILE": "Dockerfile.missing"}, []string{"PLUGIN_DOCKERFILE: \"Dockerfile.missing\" not found"}},
		{"unknown target", map[string]string{"PLUGIN_TARGET": "tests"}, []string{"PLUGIN_TARGET: \"tests\" is not a stage of Dockerfile (stages: build, final)"}},
		{"snapshot mode", map[string]string{"PLUGIN_SNAPSHOT_MODE": "fast"}, []string{"PLUGIN_SNAPSHOT_MODE: \"fast\" is not a snapshot mode"}},
		{"optimize conflicts", map[string]string{"PLUGIN_SNAPSHOT_MODE": "full", "PLUGIN_OPTIMIZE": "true"}, []string{"PLUGIN_OPTIMIZE: true asks for snapshot mode redo"}},
		{"cache elsewhere", map[string]string{"PLUGIN_CACHE_REPO": "other.example.com/cache"}, []string{"PLUGIN_CACHE_REPO: \"other.example.com/cache\" is in another registry"}},
		{"cache ttl", map[string]string{"PLUGIN_CACHE_TTL": "0"}, []string{"PLUGIN_CACHE_TTL: \"0\" must be more than zero"}},
		{"half static keys", map[string]string{"PLUGIN_ACCESS_KEY": "AKIA1"}, []string{"PLUGIN_ACCESS_KEY and PLUGIN_SECRET_KEY must be set together"}},
		{"bad build arg", map[string]string{"PLUGIN_BUILD_ARGS": "1X=2"}, []string{"PLUGIN_BUILD_ARGS: \"1X=2\" is not a build arg name"}},
		{"log settings", map[string]string{"PLUGIN_VERBOSITY": "loud", "PLUGIN_LOG_FORMAT": "xml"}, []string{"PLUGIN_VERBOSITY: \"loud\"", "PLUGIN_LOG_FORMAT: \"xml\""}},
		{"platform", map[string]string{"PLUGIN_PLATFORM": "arm64"}, []string{"PLUGIN_PLATFORM: \"arm64\" is not a platform"}},
		{"auto tag conflicts", map[string]string{"PLUGIN_AUTO_TAG": "true", "PLUGIN_TAGS": "v1", "PLUGIN_EXPAND_TAG": "true", "DRONE_TAG": "v1.0.0"}, []string{"PLUGIN_AUTO_TAG and PLUGIN_TAGS are both set", "PLUGIN_AUTO_TAG and PLUGIN_EXPAND_TAG are both set"}},
		{"suffix alone", map[string]string{"PLUGIN_AUTO_TAG_SUFFIX": "alpine"}, []string{"PLUGIN_AUTO_TAG_SUFFIX needs PLUGIN_AUTO_TAG=true"}},
		{"push only without tarball", map[string]string{"PLUGIN_PUSH_ONLY": "true"}, []string{"PLUGIN_PUSH_ONLY needs PLUGIN_SOURCE_TAR_PATH"}},
		{"push only and no push", map[string]string{"PLUGIN_PUSH_ONLY": "yes", "PLUGIN_NO_PUSH": "yes", "PLUGIN_SOURCE_TAR_PATH": "Dockerfile"}, []string{"PLUGIN_PUSH_ONLY and PLUGIN_NO_PUSH are both set"}},
		{"source tarball without push only", map[string]string{"PLUGIN_SOURCE_TAR_PATH": "img.tar"}, []string{"PLUGIN_SOURCE_TAR_PATH is only used with PLUGIN_PUSH_ONLY=true"}},
		{"missing source tarball", map[string]string{"PLUGIN_PUSH_ONLY": "1", "PLUGIN_SOURCE_TAR_PATH": "img.tar"}, []string{"PLUGIN_SOURCE_TAR_PATH: \"img.tar\" is not a file"}},
		{"artifact without push", map[string]string{"PLUGIN_NO_PUSH": "true", "PLUGIN_ARTIFACT_FILE": "a.json"}, []string{"PLUGIN_ARTIFACT_FILE lists pushed images"}},
		{"output is a folder", map[string]string{"PLUGIN_DIGEST_FILE": "sub"}, []string{"PLUGIN_DIGEST_FILE: \"sub\" is a directory"}},
		{"half base image credentials", map[string]string{"PLUGIN_DOCKER_USERNAME": "u"}, []string{"PLUGIN_BASE_IMAGE_USERNAME and PLUGIN_BASE_IMAGE_PASSWORD must be set together"}},
		{"certificate missing", map[string]string{"PLUGIN_REGISTRY_CERTIFICATE": "r.example=certs/r.pem"}, []string{"PLUGIN_REGISTRY_CERTIFICATE: certificate \"certs/r.pem\" for r.example not found"}},
		{"relative ignore path", map[string]string{"PLUGIN_IGNORE_PATHS": "var/cache"}, []string{"PLUGIN_IGNORE_PATHS: \"var/cache\" is not an absolute path"}},
		{"context sub path escapes", map[string]string{"PLUGIN_CONTEXT_SUB_PATH": "../x"}, []string{"PLUGIN_CONTEXT_SUB_PATH: \"../x\" must be a relative path inside the context"}},
		{"drop-in settings", map[string]string{
			"PLUGIN_REGISTRY_CLIENT_CERT": "r.example=missing.crt,missing.key;bare", "PLUGIN_INSECURE_REGISTRY": "a b",
			"PLUGIN_OCI_LAYOUT_PATH": "Dockerfile", "PLUGIN_CACHE_DIR": "Dockerfile", "PLUGIN_IMAGE_FS_EXTRACT_RETRY": "-1",
		}, []string{
			`PLUGIN_REGISTRY_CLIENT_CERT: "r.example=missing.crt,missing.key" wants host=cert,key`, `PLUGIN_REGISTRY_CLIENT_CERT: "bare" wants host=cert,key`,
			`PLUGIN_INSECURE_REGISTRY: "a b" is not a registry host`, `PLUGIN_OCI_LAYOUT_PATH: "Dockerfile" is a file, want a directory`,
			`PLUGIN_CACHE_DIR: "Dockerfile" is not a directory`, `PLUGIN_IMAGE_FS_EXTRACT_RETRY: "-1" is negative`,
		}},
		{"name and tag file without push", map[string]string{"PLUGIN_NO_PUSH": "true", "PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE": "n"}, []string{"PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE lists pushed tags"}},
		{"provenance settings", map[string]string{"PLUGIN_PROVENANCE": "full", "PLUGIN_PROVENANCE_KMS_KEY": "my-key"}, []string{`PLUGIN_PROVENANCE: "full" is not a provenance mode (want min, max or false)`, `PLUGIN_PROVENANCE_KMS_KEY: "my-key" is not a KMS key`}},
		{"bad build arg sources", map[string]string{"PLUGIN_BUILD_ARGS_NEW": "A=1;2B=x", "PLUGIN_BUILD_ARGS_FROM_ENV": "C=1"}, []string{"PLUGIN_BUILD_ARGS_NEW: \"2B=x\"", "PLUGIN_BUILD_ARGS_FROM_ENV: \"C=1\""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			if len(tc.env) > 0 {
				for k, v := range base {
					env[k] = v
				}
			}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := validate(t, dir, env)
			wantProblems(t, err, tc.want)
		})
	}
}

func TestCanonicalNameWinsOverAlias(t *testing.T) {
	dir := workspace(t)
	t.Setenv("PLUGIN_CUSTOM_LABELS", "a=canonical")
	t.Setenv("PLUGIN_LABELS", "a=alias")
	t.Setenv("PLUGIN_REGISTRY", testRegistry)
	t.Setenv("PLUGIN_REPO", "x/y")
	s, warnings, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Validate(Env{Lookup: os.LookupEnv, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"a=canonical"}, p.Labels); d != "" {
		t.Error(d)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "using PLUGIN_CUSTOM_LABELS") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestAliasesPointAtStringOrDecoderFields(t *testing.T) {
	fields := fieldsByEnv(&Settings{})
	for canon, als := range aliases {
		f, ok := fields[canon]
		if !ok {
			t.Errorf("alias target %s is not a setting", canon)
			continue
		}
		if f.Kind() != reflect.String && !f.Addr().Type().Implements(decoderType) {
			t.Errorf("%s cannot take an alias value", canon)
		}
		for _, a := range als {
			if _, dup := fields[a]; dup {
				t.Errorf("alias %s is also a setting", a)
			}
		}
	}
}

// wantProblems checks that err is a *ValidationError (exit 2) holding every
// wanted text, each problem starting with its variable. (The run maps a
// *ValidationError to exit status 2: see plugin.ExitCode.)
func wantProblems(t *testing.T, err error, want []string) *ValidationError {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	for _, p := range ve.Problems {
		if !strings.HasPrefix(p, "PLUGIN_") {
			t.Errorf("problem does not start with its variable: %q", p)
		}
	}
	return ve
}

// FuzzValidate feeds any text to any three settings at once: Validate must
// not panic, must name the variable at the start of every problem, and
// must never echo a secret setting's value.
func FuzzValidate(f *testing.F) {
	f.Add(uint8(0), "123456789012.dkr.ecr.eu-west-1.amazonaws.com", uint8(3), "team/app", uint8(4), "v1,latest")
	f.Add(uint8(9), `{"a":"b"}`, uint8(7), `["A=1,2"]`, uint8(20), "arn:aws:iam::1:role/x")
	infos := Infos()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, i1 uint8, v1 string, i2 uint8, v2 string, i3 uint8, v3 string) {
		fields := fieldsByEnv(&Settings{})
		env := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app"}
		for _, kv := range []struct {
			i uint8
			v string
		}{{i1, v1}, {i2, v2}, {i3, v3}} {
			env[infos[int(kv.i)%len(infos)].Env] = kv.v
		}
		validateWith := func(env map[string]string) error {
			var s Settings
			fields := fieldsByEnv(&s)
			for k, v := range env {
				setField(fields[k], v)
			}
			_, err := s.Validate(Env{Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, Dir: dir})
			return err
		}
		err := validateWith(env)
		if err == nil {
			return
		}
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("not a ValidationError: %v", err)
		}
		for _, p := range ve.Problems {
			if !strings.HasPrefix(p, "PLUGIN_") && !strings.HasPrefix(p, "DRONE_") {
				t.Fatalf("problem without its variable: %q", p)
			}
		}
		for k, v := range env {
			f, ok := fields[k]
			if !ok || f.Type() != reflect.TypeOf(redact.Secret("")) || len(v) < 6 || !strings.Contains(err.Error(), v) {
				continue
			}
			// The text may be in the report by coincidence ("settings"):
			// it is an echo only if another value of the secret removes it.
			other := map[string]string{}
			for k2, v2 := range env {
				other[k2] = v2
			}
			other[k] = strings.Repeat("Z", len(v))
			if err2 := validateWith(other); err2 == nil || !strings.Contains(err2.Error(), v) {
				t.Fatalf("%s's value was echoed: %v", k, err)
			}
		}
	})
}

var decoderType = reflect.TypeOf((*envconfig.Decoder)(nil)).Elem()

// Every problem is found in one run: with the registry missing, a broken
// tag, label, build arg, cache repository and more are all reported, each
// naming its variable, so a user fixes them in one go.
func TestValidateReportsEveryProblemAtOnceWithoutARegistry(t *testing.T) {
	dir := workspace(t)
	_, err := validate(t, dir, map[string]string{
		"PLUGIN_REPO":             "Team/App",
		"PLUGIN_TAGS":             "v1,bad tag,-x",
		"PLUGIN_CUSTOM_LABELS":    "org.opencontainers.image.title=app,ci.build",
		"PLUGIN_BUILD_ARGS":       "1X=2",
		"PLUGIN_CACHE_REPO":       "Team/Cache",
		"PLUGIN_SNAPSHOT_MODE":    "fast",
		"PLUGIN_PUSH_RETRY":       "many",
		"PLUGIN_TARGET":           "tests",
		"PLUGIN_ACCESS_KEY":       "AKIAEXAMPLE",
		"PLUGIN_IGNORE_PATHS":     "var/cache",
		"PLUGIN_LOG_FORMAT":       "xml",
		"PLUGIN_PLATFORM":         "arm64",
		"PLUGIN_CONTEXT_SUB_PATH": "../x",
	})
	wantProblems(t, err, []string{
		"PLUGIN_REGISTRY is required",
		`PLUGIN_TAGS: "bad tag" is not a valid tag`,
		`PLUGIN_TAGS: "-x" is not a valid tag`,
		`PLUGIN_CUSTOM_LABELS: "ci.build" has no = (want key=value)`,
		`PLUGIN_REPO: "Team/App" is not a valid ECR repository name`,
		`PLUGIN_BUILD_ARGS: "1X=2" is not a build arg name`,
		`PLUGIN_CACHE_REPO: "Team/Cache" is not a valid ECR repository name`,
		`PLUGIN_SNAPSHOT_MODE: "fast" is not a snapshot mode`,
		`PLUGIN_PUSH_RETRY: "many" is not a whole number`,
		`PLUGIN_TARGET: "tests" is not a stage`,
		"PLUGIN_ACCESS_KEY and PLUGIN_SECRET_KEY must be set together",
		`PLUGIN_IGNORE_PATHS: "var/cache" is not an absolute path`,
		`PLUGIN_LOG_FORMAT: "xml"`,
		`PLUGIN_PLATFORM: "arm64" is not a platform`,
		`PLUGIN_CONTEXT_SUB_PATH: "../x" must be a relative path inside the context`,
	})
	var ve *ValidationError
	if errors.As(err, &ve) && len(ve.Problems) != 15 {
		t.Errorf("got %d problems, want 15:\n%v", len(ve.Problems), err)
	}
}
