// Package taginput derives and checks the tags a build pushes: the tags
// PLUGIN_AUTO_TAG takes from Drone's build metadata, and the docker tag
// rules every tag must follow. It is a pure helper of package settings.
package taginput

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/semver"
)

// Auto derives tags from Drone's build metadata, read with get: a git tag
// gives its semver expansion (or itself); the default branch gives
// "latest"; any other branch gives none (skip is true: the build is
// skipped, as plugins/docker and plugins/kaniko do).
func Auto(get func(string) string, suffix string) (tags []string, skip bool, reason string) {
	ref := get("DRONE_COMMIT_REF")
	gitTag := get("DRONE_TAG")
	if gitTag == "" && strings.HasPrefix(ref, "refs/tags/") {
		gitTag = strings.TrimPrefix(ref, "refs/tags/")
	}
	if gitTag != "" {
		tags, ok := semver.Expand(gitTag)
		if !ok {
			tags = []string{gitTag}
		}
		return semver.WithSuffix(tags, suffix), false, ""
	}
	branch := get("DRONE_COMMIT_BRANCH")
	if branch == "" && strings.HasPrefix(ref, "refs/heads/") {
		branch = strings.TrimPrefix(ref, "refs/heads/")
	}
	def := get("DRONE_REPO_BRANCH")
	isDefault := branch == def || (def == "" && (branch == "main" || branch == "master"))
	if branch != "" && isDefault {
		return semver.WithSuffix([]string{"latest"}, suffix), false, ""
	}
	if branch == "" {
		return nil, true, "PLUGIN_AUTO_TAG: neither DRONE_TAG, DRONE_COMMIT_REF nor DRONE_COMMIT_BRANCH is set"
	}
	return nil, true, fmt.Sprintf("PLUGIN_AUTO_TAG: branch %q is not the default branch %q: no tags, build skipped", branch, cmp.Or(def, "main"))
}

// Valid drops duplicates and returns the valid tags, and a problem naming
// PLUGIN_TAGS for every tag that is not a docker tag. A tag's validity
// depends on neither the registry nor the repository, so it is checked
// even when those are missing or wrong.
func Valid(in []string) (tags, problems []string) {
	seen := map[string]bool{}
	for _, t := range in {
		if seen[t] {
			continue
		}
		seen[t] = true
		// ggcr checks the characters; docker's grammar also wants a word
		// character first.
		if _, err := name.NewTag("registry.invalid/repo:"+t, name.StrictValidation); err != nil || !semver.TagRE.MatchString(t) {
			problems = append(problems, fmt.Sprintf("PLUGIN_TAGS: %q is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -)", t))
			continue
		}
		tags = append(tags, t)
	}
	return tags, problems
}
