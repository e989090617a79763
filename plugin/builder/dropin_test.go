package builder

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/google/go-cmp/cmp"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/help"
)

// planFor validates env (the only PLUGIN_* and DOCKER_* variables set) in a
// workspace with a Dockerfile, a client certificate and key, and a cache
// folder: what a dry run prints, and kaniko's options made from it.
func planFor(t *testing.T, env map[string]string) (*settings.Plan, *config.KanikoOptions, []string) {
	t.Helper()
	ws := t.TempDir()
	for _, f := range []string{"Dockerfile", "client.crt", "client.key"} {
		if err := os.WriteFile(filepath.Join(ws, f), []byte("FROM scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(ws, "cache"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PLUGIN_") || strings.HasPrefix(k, "DOCKER_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	base := map[string]string{"PLUGIN_REGISTRY": "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "PLUGIN_REPO": "team/app", "PLUGIN_TAGS": "v1,latest"}
	for k, v := range base {
		t.Setenv(k, v)
	}
	var environ []string
	for k, v := range env {
		t.Setenv(k, strings.ReplaceAll(v, "$WS", ws))
		environ = append(environ, k+"="+v)
	}
	s, warnings, err := settings.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Validate(settings.Env{Lookup: os.LookupEnv, Dir: ws})
	if err != nil {
		t.Fatalf("%v", err)
	}
	if w := help.Unknown(environ); w != "" {
		t.Errorf("a drop-in variable is unknown: %s", w)
	}
	o, err := Options(SpecOf(p))
	if err != nil {
		t.Fatal(err)
	}
	return p, o, warnings
}

// Every variable that plugins/kaniko-ecr (drone/drone-kaniko's
// cmd/kaniko-ecr) reads beyond ours is accepted, with kaniko's meaning,
// and reaches the build: the validated plan (what PLUGIN_DRY_RUN prints)
// and the kaniko options made from it.
func TestPluginsKanikoECRVariablesReachTheBuild(t *testing.T) {
	const reg = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	for _, tc := range []struct {
		env  map[string]string
		got  func(p *settings.Plan, o *config.KanikoOptions) any
		want any
	}{
		{map[string]string{"PLUGIN_MULTIPLE_BUILD_ARGS": "true", "PLUGIN_BUILD_ARGS": "GREETING=hello,world", "PLUGIN_BUILD_ARGS_NEW": "GREETING=hello,world;B=2"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return userBuildArgs(o) }, []string{"GREETING=hello,world", "B=2"}},
		{map[string]string{"PLUGIN_CACHE_DIR": "cache"},
			func(_ *settings.Plan, o *config.KanikoOptions) any {
				return strings.HasSuffix(o.CacheDir, "/cache") && o.CacheDir != "/cache"
			}, true},
		{map[string]string{"PLUGIN_CLEANUP": "true"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return o.Cleanup }, true},
		{map[string]string{"PLUGIN_IGNORE_PATH": "/var/cache"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return []string(o.IgnorePaths) }, []string{"/var/cache"}},
		{map[string]string{"PLUGIN_IGNORE_VAR_RUN": "false"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return o.IgnoreVarRun }, false},
		{map[string]string{"PLUGIN_IMAGE_FS_EXTRACT_RETRY": "4"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return o.ImageFSExtractRetry }, 4},
		{map[string]string{"PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE": "out/name-tag"},
			func(p *settings.Plan, _ *config.KanikoOptions) any {
				return filepath.Base(filepath.Dir(p.ImageNameTagDigest)) + "/" + filepath.Base(p.ImageNameTagDigest)
			}, "out/name-tag"},
		{map[string]string{"PLUGIN_INSECURE": "true"},
			func(p *settings.Plan, o *config.KanikoOptions) any { return o.Insecure && p.InsecurePush() }, true},
		{map[string]string{"PLUGIN_INSECURE_PULL": "true"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return o.InsecurePull }, true},
		{map[string]string{"PLUGIN_INSECURE_REGISTRY": "mirror.local:5000," + reg},
			func(p *settings.Plan, o *config.KanikoOptions) any {
				return []any{[]string(o.InsecureRegistries), p.InsecurePush()}
			}, []any{[]string{"mirror.local:5000", reg}, true}},
		{map[string]string{"PLUGIN_INSECURE_REGISTRY": "https://docker.io/"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return []string(o.InsecureRegistries) }, []string{"index.docker.io"}},
		{map[string]string{"PLUGIN_LOG_TIMESTAMP": "true"},
			func(p *settings.Plan, _ *config.KanikoOptions) any { return p != nil }, true},
		{map[string]string{"PLUGIN_OCI_LAYOUT_PATH": "oci"},
			func(p *settings.Plan, _ *config.KanikoOptions) any { return filepath.Base(p.OCILayoutPath) }, "oci"},
		{map[string]string{"PLUGIN_USERNAME": "hubuser", "PLUGIN_PASSWORD": "hubpass"},
			func(p *settings.Plan, _ *config.KanikoOptions) any {
				return []string{p.BaseImage.Registry, p.BaseImage.Username, p.BaseImage.Password.Reveal()}
			}, []string{"https://index.docker.io/v1/", "hubuser", "hubpass"}},
		{map[string]string{"DOCKER_REGISTRY": "ghcr.io", "DOCKER_USERNAME": "u", "DOCKER_PASSWORD": "p"},
			func(p *settings.Plan, _ *config.KanikoOptions) any {
				return []string{p.BaseImage.Registry, p.BaseImage.Username, p.BaseImage.Password.Reveal()}
			}, []string{"ghcr.io", "u", "p"}},
		{map[string]string{"PLUGIN_REGISTRY_CLIENT_CERT": "mirror.local=client.crt,client.key"},
			func(_ *settings.Plan, o *config.KanikoOptions) any {
				c, k, _ := strings.Cut(o.RegistriesClientCertificates["mirror.local"], ",")
				return filepath.Base(c) + "," + filepath.Base(k)
			}, "client.crt,client.key"},
		{map[string]string{"PLUGIN_SKIP_DEFAULT_REGISTRY_FALLBACK": "true"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return o.SkipDefaultRegistryFallback }, true},
		{map[string]string{"PLUGIN_SKIP_PUSH_PERMISSION_CHECK": "true"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return o.SkipPushPermissionCheck }, true},
		{map[string]string{"PLUGIN_SKIP_TLS_VERIFY_PULL": "true"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return o.SkipTLSVerifyPull }, true},
		{map[string]string{"PLUGIN_SKIP_TLS_VERIFY_REGISTRY": "true"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return []string(o.SkipTLSVerifyRegistries) }, []string{reg}},
		{map[string]string{"PLUGIN_SKIP_TLS_VERIFY_REGISTRY": "mirror.local:5000"},
			func(_ *settings.Plan, o *config.KanikoOptions) any { return []string(o.SkipTLSVerifyRegistries) }, []string{"mirror.local:5000"}},
	} {
		var names []string
		for k := range tc.env {
			names = append(names, k)
		}
		t.Run(strings.Join(names, "+"), func(t *testing.T) {
			p, o, _ := planFor(t, tc.env)
			if d := cmp.Diff(tc.want, tc.got(p, o)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// Harness sends both lists; without PLUGIN_MULTIPLE_BUILD_ARGS the
// semicolon list still wins, and a warning says so.
func TestBothBuildArgListsWithoutTheFlagPreferTheNewOneWithAWarning(t *testing.T) {
	_, o, warnings := planFor(t, map[string]string{"PLUGIN_BUILD_ARGS": "GREETING=hello,world", "PLUGIN_BUILD_ARGS_NEW": "GREETING=hello,world"})
	if d := cmp.Diff([]string{"GREETING=hello,world"}, userBuildArgs(o)); d != "" {
		t.Errorf("build args (-want +got):\n%s", d)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "using PLUGIN_BUILD_ARGS_NEW") {
		t.Errorf("warnings = %q", warnings)
	}
	_, _, warnings = planFor(t, map[string]string{"PLUGIN_BUILD_ARGS": "A=1", "PLUGIN_BUILD_ARGS_NEW": "A=1", "PLUGIN_MULTIPLE_BUILD_ARGS": "true"})
	if len(warnings) != 0 {
		t.Errorf("with the flag, warnings = %q", warnings)
	}
}

// userBuildArgs leaves out the platform args every build gets (see
// platformArgs): what these tests check is what the settings gave.
func userBuildArgs(o *config.KanikoOptions) []string {
	var out []string
	for _, a := range o.BuildArgs {
		k, _, _ := strings.Cut(a, "=")
		if !slices.Contains([]string{"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT"}, k) {
			out = append(out, a)
		}
	}
	return out
}
