package settings

import (
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/semver"
)

// validateIndex resolves PLUGIN_INDEX_SOURCES to full references in the
// registry. Index mode builds nothing, so a build setting next to it is a
// mistake worth stopping for.
func validateIndex(s *Settings, env Env, p *Plan, bad reporter) {
	if len(s.IndexSources.V) == 0 {
		if s.IndexWait.V > 0 {
			bad("PLUGIN_INDEX_WAIT is only used with PLUGIN_INDEX_SOURCES")
		}
		return
	}
	for _, v := range buildOnlySet(s, env) {
		bad("%s is a build setting, but PLUGIN_INDEX_SOURCES joins existing images and builds nothing: unset one of them", v)
	}
	if p.Host == "" || p.Repo == "" {
		return // reported already; nothing to resolve the sources against
	}
	p.IndexWait = s.IndexWait.V
	seen := map[string]string{}
	for _, src := range s.IndexSources.V {
		ref, ok := indexSource(src, p)
		switch prev, dup := seen[ref]; {
		case !ok:
			bad("PLUGIN_INDEX_SOURCES: %q is neither a tag of PLUGIN_REPO nor an image reference in %s", src, p.RegistryPath())
		case dup:
			bad("PLUGIN_INDEX_SOURCES: %q and %q are the same image %s", prev, src, ref)
		case slices.Contains(p.Destinations(), ref):
			bad("PLUGIN_INDEX_SOURCES: %q is also in PLUGIN_TAGS: the index would replace its own source", src)
		default:
			seen[ref] = src
			p.IndexSources = append(p.IndexSources, ref)
		}
	}
}

// indexSource resolves one item of PLUGIN_INDEX_SOURCES: a tag of the
// repository, or <registry>/<repo>:<tag> or <registry>/<repo>@<digest>.
func indexSource(src string, p *Plan) (string, bool) {
	if semver.TagRE.MatchString(src) {
		return p.Image() + ":" + src, true
	}
	if !strings.HasPrefix(src, p.RegistryPath()+"/") {
		return "", false
	}
	ref, err := name.ParseReference(src, name.StrictValidation)
	if err != nil {
		return "", false
	}
	repo, ok := strings.CutPrefix(ref.Context().Name(), p.RegistryPath()+"/")
	return ref.Name(), ok && ecrRepoRE.MatchString(repo)
}

// buildOnlySet names the settings that only a build uses and that are set.
func buildOnlySet(s *Settings, env Env) []string {
	set := map[string]bool{
		"PLUGIN_DOCKERFILE":          env.get("PLUGIN_DOCKERFILE") != "",
		"PLUGIN_CONTEXT_SUB_PATH":    strings.TrimSpace(s.ContextSub) != "",
		"PLUGIN_BUILD_ARGS":          len(s.BuildArgs.V) > 0,
		"PLUGIN_BUILD_ARGS_NEW":      len(s.BuildArgsNew.V) > 0,
		"PLUGIN_BUILD_ARGS_FROM_ENV": len(s.BuildArgsEnv.V) > 0,
		"PLUGIN_TARGET":              strings.TrimSpace(s.Target) != "",
		"PLUGIN_BUILD_CONTEXTS":      len(s.BuildContexts.V) > 0,
		"PLUGIN_CUSTOM_LABELS":       len(s.CustomLabels.V) > 0,
		"PLUGIN_PLATFORM":            strings.TrimSpace(s.Platform) != "",
		"PLUGIN_ENABLE_CACHE":        s.EnableCache.V,
		"PLUGIN_CACHE_REPO":          strings.TrimSpace(s.CacheRepo) != "",
		"PLUGIN_NO_PUSH":             s.NoPush.V,
		"PLUGIN_TAR_PATH":            strings.TrimSpace(s.TarPath) != "",
		"PLUGIN_PUSH_ONLY":           s.PushOnly.V,
		"PLUGIN_SOURCE_TAR_PATH":     strings.TrimSpace(s.SourceTarPath) != "",
		"PLUGIN_COMPRESSION":         env.get("PLUGIN_COMPRESSION") != "",
		"PLUGIN_COMPRESSION_LEVEL":   s.CompressionLevel.Set,
	}
	var out []string
	for v, on := range set {
		if on {
			out = append(out, v)
		}
	}
	return out
}
