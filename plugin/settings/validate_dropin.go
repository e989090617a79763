package settings

import (
	"os"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/kanikoinput"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/values"
)

// validateDropIn checks the settings that plugins/kaniko-ecr reads beyond
// the ones above, each with kaniko's meaning, so that a pipeline written
// for that image runs unchanged.
func validateDropIn(s *Settings, env Env, p *Plan, bad reporter) {
	k := &p.Kaniko
	k.Cleanup = s.Cleanup.V
	k.SnapshotVarRun = !s.IgnoreVarRun.V
	k.ImageFSExtractRetry = s.ImageFSExtractRetry.V
	k.Insecure = s.Insecure.V
	k.InsecurePull = s.InsecurePull.V
	k.SkipDefaultRegistryFallback = s.SkipDefaultRegistryFallback.V
	k.SkipPushPermissionCheck = s.SkipPushPermissionCheck.V
	k.SkipTLSVerifyPull = s.SkipTLSVerifyPull.V
	if dir := strings.TrimSpace(s.CacheDir); dir != "" {
		k.CacheDir = absIn(env.Dir, dir)
		if fi, err := os.Stat(k.CacheDir); err == nil && !fi.IsDir() {
			bad("PLUGIN_CACHE_DIR: %q is not a directory", dir)
		}
	}
	k.InsecureRegistries = each("PLUGIN_INSECURE_REGISTRY", s.InsecureRegistry.V, kanikoinput.Registry, bad)
	k.SkipTLSVerifyRegistries = skipTLSRegistries(s.SkipTLSVerifyRegistry.V, p, bad)
	k.RegistryClientCerts = eachHost("PLUGIN_REGISTRY_CLIENT_CERT", s.RegistryClientCert.V, kanikoinput.Dir(env.Dir).ClientCert, bad)
	p.ImageNameTagDigest = outputPath("PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE", s.ImageNameTagDigestFile, env, bad)
	if p.NoPush && p.ImageNameTagDigest != "" {
		bad("PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE lists pushed tags, but PLUGIN_NO_PUSH is set")
	}
	if dir := strings.TrimSpace(s.OCILayoutPath); dir != "" {
		p.OCILayoutPath = outputDir("PLUGIN_OCI_LAYOUT_PATH", dir, env, bad)
	}
}

// each returns what check makes of every item of a list setting, and
// reports the items it refuses under the setting's name.
func each(envVar string, items []string, check func(string) (string, error), bad reporter) []string {
	var out []string
	for _, it := range items {
		if v, err := check(it); err != nil {
			bad("%s: %v", envVar, err)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// eachHost is each for host=... items: a map from each host to the rest
// as check reads it, nil when empty.
func eachHost(envVar string, items []string, check func(string) (string, string, error), bad reporter) map[string]string {
	var out map[string]string
	for _, it := range items {
		host, v, err := check(it)
		if err != nil {
			bad("%s: %v", envVar, err)
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[host] = v
	}
	return out
}

// skipTLSRegistries reads PLUGIN_SKIP_TLS_VERIFY_REGISTRY: kaniko takes
// registry hosts; plugins/kaniko-ecr takes a boolean, which here means the
// registry pushed to.
func skipTLSRegistries(items []string, p *Plan, bad reporter) []string {
	if len(items) == 1 {
		if b, err := values.ParseBool(items[0]); err == nil {
			if b && p.Host != "" {
				return []string{p.Host}
			}
			return nil
		}
	}
	return each("PLUGIN_SKIP_TLS_VERIFY_REGISTRY", items, kanikoinput.Registry, bad)
}

// outputDir resolves a directory the plugin writes, kept on a mount like
// every output (see outputPath).
func outputDir(envVar, path string, env Env, bad reporter) string {
	abs := absIn(env.Dir, path)
	if env.MountPoint != nil && env.MountPoint(abs) == "/" {
		bad("%s: %q is not on a mounted volume; write outputs under the workspace (%s) or another mount", envVar, path, env.Dir)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		bad("%s: %q is a file, want a directory", envVar, path)
	}
	return abs
}

// buildArgsSources picks the lists of build args that count. Harness sends
// a step's build args twice: PLUGIN_BUILD_ARGS joined with commas (which
// splits a value that holds one) and PLUGIN_BUILD_ARGS_NEW joined with
// semicolons. PLUGIN_MULTIPLE_BUILD_ARGS=true, as every drone plugin reads
// it, means only the second; with both set and no flag, the second is
// still the one that keeps values whole.
func buildArgsSources(s *Settings) (useOld bool, warning string) {
	switch {
	case s.MultipleBuildArgs.V:
		return false, ""
	case len(s.BuildArgs.V) > 0 && len(s.BuildArgsNew.V) > 0:
		return false, "PLUGIN_BUILD_ARGS and PLUGIN_BUILD_ARGS_NEW are both set: using PLUGIN_BUILD_ARGS_NEW (its items may hold commas); set PLUGIN_MULTIPLE_BUILD_ARGS=true to say so"
	}
	return true, ""
}
