package settings

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
)

// semverRE matches v1.2.3, 1.2, 1.2.3-rc.1+build.5 and the like.
var semverRE = regexp.MustCompile(`^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$`)

// expandSemver turns a semver tag into the tags users expect: v1.2.3 gives
// 1, 1.2 and 1.2.3; a 0.x version leaves out the bare major; a pre-release
// gives only itself. Build metadata becomes part of the tag with "+"
// replaced by "_" (docker tags have no "+"). ok is false for non-semver.
func expandSemver(tag string) (tags []string, ok bool) {
	m := semverRE.FindStringSubmatch(tag)
	if m == nil {
		return nil, false
	}
	major, minor, patch, pre, build := m[1], m[2], m[3], m[4], m[5]
	full := major
	if minor != "" {
		full += "." + minor
	}
	if patch != "" {
		full += "." + patch
	}
	if pre != "" {
		full += "-" + pre
	}
	if build != "" {
		full += "_" + build
	}
	if !tagRE.MatchString(full) {
		return nil, false // too long for a docker tag: validation reports it as given
	}
	if pre != "" || build != "" {
		return []string{full}, true
	}
	if minor == "" {
		return []string{major}, true
	}
	if major == "0" {
		return uniq([]string{major + "." + minor, full}), true
	}
	return uniq([]string{major, major + "." + minor, full}), true
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// autoTags derives tags from Drone's build metadata: a git tag gives its
// semver expansion (or itself); the default branch gives "latest"; any
// other branch gives none (skip is true: the build is skipped, as
// plugins/docker and plugins/kaniko do).
func autoTags(env Env, suffix string) (tags []string, skip bool, reason string) {
	ref := env.get("DRONE_COMMIT_REF")
	gitTag := env.get("DRONE_TAG")
	if gitTag == "" && strings.HasPrefix(ref, "refs/tags/") {
		gitTag = strings.TrimPrefix(ref, "refs/tags/")
	}
	if gitTag != "" {
		tags, ok := expandSemver(gitTag)
		if !ok {
			tags = []string{gitTag}
		}
		return withSuffix(tags, suffix), false, ""
	}
	branch := env.get("DRONE_COMMIT_BRANCH")
	if branch == "" && strings.HasPrefix(ref, "refs/heads/") {
		branch = strings.TrimPrefix(ref, "refs/heads/")
	}
	def := env.get("DRONE_REPO_BRANCH")
	isDefault := branch == def || (def == "" && (branch == "main" || branch == "master"))
	if branch != "" && isDefault {
		return withSuffix([]string{"latest"}, suffix), false, ""
	}
	if branch == "" {
		return nil, true, "PLUGIN_AUTO_TAG: neither DRONE_TAG, DRONE_COMMIT_REF nor DRONE_COMMIT_BRANCH is set"
	}
	return nil, true, fmt.Sprintf("PLUGIN_AUTO_TAG: branch %q is not the default branch %q: no tags, build skipped", branch, cmp.Or(def, "main"))
}

func withSuffix(tags []string, suffix string) []string {
	if suffix == "" {
		return tags
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		if t == "latest" {
			out[i] = suffix
		} else {
			out[i] = t + "-" + suffix
		}
	}
	return out
}

// expandTags applies expandSemver to every tag that is a version.
func expandTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if ex, ok := expandSemver(t); ok {
			out = append(out, ex...)
		} else {
			out = append(out, t)
		}
	}
	return uniq(out)
}
