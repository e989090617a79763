package settings

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/values"
)

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
		tags, ok := values.ExpandSemver(gitTag)
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
