// Package semver turns version tags into the docker tags users expect
// (v1.2.3 gives 1, 1.2 and 1.2.3) and adds tag suffixes. It is a pure
// helper of package settings.
package semver

import (
	"regexp"
)

// TagRE is docker's tag grammar: a word character first, at most
// 128 characters.
var TagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// semverRE matches v1.2.3, 1.2, 1.2.3-rc.1+build.5 and the like.
var semverRE = regexp.MustCompile(`^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$`)

// Expand turns a semver tag into the tags users expect: v1.2.3 gives
// 1, 1.2 and 1.2.3; a 0.x version leaves out the bare major; a pre-release
// gives only itself. Build metadata becomes part of the tag with "+"
// replaced by "_" (docker tags have no "+"). ok is false for non-semver.
func Expand(tag string) (tags []string, ok bool) {
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
	if !TagRE.MatchString(full) {
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

// WithSuffix appends suffix to every tag; "latest" becomes the suffix itself.
func WithSuffix(tags []string, suffix string) []string {
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

// ExpandAll applies Expand to every tag that is a version.
func ExpandAll(tags []string) []string {
	var out []string
	for _, t := range tags {
		if ex, ok := Expand(t); ok {
			out = append(out, ex...)
		} else {
			out = append(out, t)
		}
	}
	return uniq(out)
}
