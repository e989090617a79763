package settings

import (
	"os"
	"strings"

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
	k.InsecureRegistries = registryHosts("PLUGIN_INSECURE_REGISTRY", s.InsecureRegistry.V, bad)
	k.SkipTLSVerifyRegistries = skipTLSRegistries(s.SkipTLSVerifyRegistry.V, p, bad)
	for _, item := range s.RegistryClientCert.V {
		host, files, ok := clientCert(item, env)
		if !ok {
			bad("PLUGIN_REGISTRY_CLIENT_CERT: %q wants host=cert,key with both files in the workspace or at absolute paths", item)
			continue
		}
		if k.RegistryClientCerts == nil {
			k.RegistryClientCerts = map[string]string{}
		}
		k.RegistryClientCerts[host] = files
	}
	p.ImageNameTagDigest = outputPath("PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE", s.ImageNameTagDigestFile, env, bad)
	if p.NoPush && p.ImageNameTagDigest != "" {
		bad("PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE lists pushed tags, but PLUGIN_NO_PUSH is set")
	}
	if dir := strings.TrimSpace(s.OCILayoutPath); dir != "" {
		p.OCILayoutPath = outputDir("PLUGIN_OCI_LAYOUT_PATH", dir, env, bad)
	}
}

// registryHosts normalises a list of registry hosts.
func registryHosts(envVar string, items []string, bad reporter) []string {
	var out []string
	for _, h := range items {
		n := values.RegistryHost(h)
		if n == "" || strings.ContainsAny(n, " \t") {
			bad("%s: %q is not a registry host", envVar, h)
			continue
		}
		out = append(out, n)
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
	return registryHosts("PLUGIN_SKIP_TLS_VERIFY_REGISTRY", items, bad)
}

// clientCert parses host=cert,key and resolves both paths.
func clientCert(item string, env Env) (host, files string, ok bool) {
	host, pair, ok := strings.Cut(item, "=")
	cert, key, ok2 := strings.Cut(pair, ",")
	host = values.RegistryHost(host)
	if !ok || !ok2 || host == "" {
		return "", "", false
	}
	var abs []string
	for _, f := range []string{cert, key} {
		f = absIn(env.Dir, strings.TrimSpace(f))
		if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() {
			return "", "", false
		}
		abs = append(abs, f)
	}
	return host, strings.Join(abs, ","), true
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
