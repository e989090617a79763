package settings

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/kanikoinput"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/semver"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/taginput"
)

// resolveTags picks the tag list: PLUGIN_AUTO_TAG from Drone's metadata,
// else PLUGIN_TAGS (default latest), expanded with PLUGIN_EXPAND_TAG.
func resolveTags(s *Settings, env Env, p *Plan, bad reporter) []string {
	tagsSet := env.isSet("PLUGIN_TAGS") && len(s.Tags.V) > 0
	suffix := strings.TrimSpace(s.AutoTagSuffix)
	if suffix != "" && !s.AutoTag.V {
		bad("PLUGIN_AUTO_TAG_SUFFIX needs PLUGIN_AUTO_TAG=true")
	}
	if s.AutoTag.V {
		if tagsSet {
			bad("PLUGIN_AUTO_TAG and PLUGIN_TAGS are both set: use one (auto tags come from DRONE_TAG or the branch)")
		}
		if s.ExpandTag.V {
			bad("PLUGIN_AUTO_TAG and PLUGIN_EXPAND_TAG are both set: auto tags are already expanded")
		}
		tags, skip, reason := taginput.Auto(env.get, suffix)
		if skip {
			p.Skip = reason
		}
		return tags
	}
	tags := s.Tags.V
	if len(tags) == 0 {
		tags = []string{"latest"}
	}
	if s.ExpandTag.V {
		tags = semver.ExpandAll(tags)
	}
	return tags
}

func validateModes(s *Settings, env Env, p *Plan, bad reporter) {
	p.NoPush, p.PushOnly = s.NoPush.V, s.PushOnly.V
	p.TarPath = outputPath("PLUGIN_TAR_PATH", s.TarPath, env, bad)
	p.ArtifactFile = outputPath("PLUGIN_ARTIFACT_FILE", s.ArtifactFile, env, bad)
	p.DigestFile = outputPath("PLUGIN_DIGEST_FILE", s.DigestFile, env, bad)
	p.ImageNameDigestFile = outputPath("PLUGIN_IMAGE_NAME_WITH_DIGEST_FILE", s.ImageNameDigestFile, env, bad)
	p.DroneOutput = outputPath("DRONE_OUTPUT", env.get("DRONE_OUTPUT"), env, bad)
	// Drone's runner sets /dev/stdout: the card then goes into the log.
	if card := env.get("DRONE_CARD_PATH"); card == "/dev/stdout" || card == "/dev/stderr" {
		p.CardPath = card
	} else {
		p.CardPath = outputPath("DRONE_CARD_PATH", card, env, bad)
	}

	src := strings.TrimSpace(s.SourceTarPath)
	switch {
	case p.PushOnly && p.NoPush:
		bad("PLUGIN_PUSH_ONLY and PLUGIN_NO_PUSH are both set: nothing would happen")
	case p.PushOnly && src == "":
		bad("PLUGIN_PUSH_ONLY needs PLUGIN_SOURCE_TAR_PATH, the image tarball to push")
	case !p.PushOnly && src != "":
		bad("PLUGIN_SOURCE_TAR_PATH is only used with PLUGIN_PUSH_ONLY=true")
	case src != "":
		p.SourceTar = absIn(env.Dir, src)
		if fi, err := os.Stat(p.SourceTar); err != nil || !fi.Mode().IsRegular() {
			bad("PLUGIN_SOURCE_TAR_PATH: %q is not a file", src)
		}
	}
	if p.PushOnly && p.TarPath != "" {
		bad("PLUGIN_TAR_PATH cannot be used with PLUGIN_PUSH_ONLY (the tarball already exists)")
	}
	if p.NoPush && p.ArtifactFile != "" {
		bad("PLUGIN_ARTIFACT_FILE lists pushed images, but PLUGIN_NO_PUSH is set")
	}
	if p.NoPush && p.Cache && p.CacheRepo == "" {
		bad("PLUGIN_ENABLE_CACHE with PLUGIN_NO_PUSH needs PLUGIN_CACHE_REPO (kaniko cannot infer it without a destination)")
	}
}

// outputPath resolves a path the plugin writes. Relative paths are under
// the workspace. In a container, an absolute path must be on a mount (the
// workspace, /addon, ...): a plain path in "/" belongs to kaniko, which
// deletes it between stages.
func outputPath(envVar, path string, env Env, bad reporter) string {
	path = strings.TrimSpace(path)
	if path == "" {
		return ""
	}
	abs := absIn(env.Dir, path)
	if env.MountPoint != nil {
		if mp := env.MountPoint(abs); mp == "/" {
			bad("%s: %q is not on a mounted volume; write outputs under the workspace (%s) or another mount", envVar, path, env.Dir)
		}
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		bad("%s: %q is a directory, want a file path", envVar, path)
	}
	return abs
}

func validateBaseImage(s *Settings, p *Plan, bad reporter) {
	user, pass := strings.TrimSpace(s.BaseImageUsername), s.BaseImagePassword
	reg := strings.TrimSpace(s.BaseImageRegistry)
	switch {
	case user == "" && pass == "":
		if reg != "" {
			bad("PLUGIN_BASE_IMAGE_REGISTRY is set without PLUGIN_BASE_IMAGE_USERNAME and PLUGIN_BASE_IMAGE_PASSWORD")
		}
		return
	case user == "" || pass == "":
		bad("PLUGIN_BASE_IMAGE_USERNAME and PLUGIN_BASE_IMAGE_PASSWORD must be set together")
		return
	}
	key := docker.NormalizeHost(reg)
	if key != "" && strings.ContainsAny(key, " \t") {
		bad("PLUGIN_BASE_IMAGE_REGISTRY: %q is not a registry", reg)
		return
	}
	p.BaseImage = BaseImageAuth{Registry: key, Username: user, Password: pass}
}

func validateKanikoFlags(s *Settings, env Env, p *Plan, bad reporter) {
	k := &p.Kaniko
	k.SkipTLSVerify = s.SkipTLSVerify.V
	k.SkipUnusedStages = s.SkipUnusedStages.V
	k.Reproducible = s.Reproducible.V
	k.SingleSnapshot = s.SingleSnapshot.V
	k.CacheCopyLayers = s.CacheCopyLayers.V || (p.Cache && !env.isSet("PLUGIN_CACHE_COPY_LAYERS")) // as BuildKit caches COPY
	k.CacheRunLayers = s.CacheRunLayers.V
	k.CompressedCaching = s.CompressedCaching.V
	k.CompressedCachingSet = env.isSet("PLUGIN_COMPRESSED_CACHING")
	k.UseNewRun = s.UseNewRun.V
	validateCompression(s, k, bad)
	k.RegistryCertificates = eachHost("PLUGIN_REGISTRY_CERTIFICATE", s.RegistryCertificate.V, kanikoinput.Dir(env.Dir).Certificate, bad)
	k.RegistryMirrors = each("PLUGIN_REGISTRY_MIRRORS", s.RegistryMirrors.V, kanikoinput.Mirror, bad)
	for _, item := range s.RegistryMap.V {
		if from, to, err := kanikoinput.RegistryMapping(item); err != nil {
			bad("PLUGIN_REGISTRY_MAP: %v", err)
		} else {
			if k.RegistryMaps == nil {
				k.RegistryMaps = map[string][]string{}
			}
			k.RegistryMaps[from] = append(k.RegistryMaps[from], to...)
		}
	}
	k.IgnorePaths = each("PLUGIN_IGNORE_PATHS", s.IgnorePaths.V, kanikoinput.IgnorePath, bad)
	if sub := strings.TrimSpace(s.ContextSub); sub != "" && p.Context != "" {
		full := filepath.Join(p.Context, sub)
		rel, err := filepath.Rel(p.Context, full)
		if filepath.IsAbs(sub) || err != nil || strings.HasPrefix(rel, "..") {
			bad("PLUGIN_CONTEXT_SUB_PATH: %q must be a relative path inside the context", sub)
		} else if fi, err := os.Stat(full); err != nil || !fi.IsDir() {
			bad("PLUGIN_CONTEXT_SUB_PATH: %q is not a directory in the context", sub)
		} else {
			p.Context = full
		}
	}
}

// validateCompression reads PLUGIN_COMPRESSION and its level, which is
// checked against the levels of a known compression only.
func validateCompression(s *Settings, k *KanikoFlags, bad reporter) {
	c, err := kanikoinput.Compression(s.Compression)
	if err != nil {
		bad("PLUGIN_COMPRESSION: %v", err)
		return
	}
	k.Compression = c
	// -1 is kaniko's CLI default, as other kaniko plugins document it: unset.
	if lv := s.CompressionLevel; lv.Set && lv.DecodeErr() == nil && lv.V != -1 {
		if err := kanikoinput.Level(c, lv.V); err != nil {
			bad("PLUGIN_COMPRESSION_LEVEL: %v", err)
		}
		k.CompressionLevel = lv.V
	}
}
