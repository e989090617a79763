// Package contextinput reads PLUGIN_BUILD_CONTEXTS, the named build
// contexts in buildx's form (docker buildx build --build-context, bake's
// contexts): name=path or name=docker-image://ref. It is a pure helper of
// package settings: it reads the workspace's file tree, never the network.
package contextinput

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/buildinput"
)

const (
	envVar      = "PLUGIN_BUILD_CONTEXTS"
	imageScheme = "docker-image://"
)

// Parse reads every item (name=value) against the workspace and returns
// the contexts by named.Key, with a problem naming the variable for every
// item that is wrong.
func Parse(items []string, workspace string) (map[string]named.Context, []string) {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, envVar+": "+fmt.Sprintf(format, args...)) }
	out := map[string]named.Context{}
	given := map[string]string{}
	for _, it := range items {
		k, v, ok := strings.Cut(strings.TrimSpace(it), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			bad("%q is not name=path or name=docker-image://ref", it)
			continue
		}
		key, err := named.Key(k)
		switch {
		case err != nil:
			bad("%q is not a context name (BuildKit's rule: an image name in lower case, such as base, tools or alpine:3.20): %v", k, err)
			continue
		case key == "scratch" || key == "context":
			bad("%q is a reserved name (scratch is the empty image; the main context is PLUGIN_CONTEXT)", k)
			continue
		case given[key] != "":
			bad("%q and %q name the same context %q", given[key], k, key)
			continue
		}
		given[key] = k
		if c, err := value(v, workspace); err != nil {
			bad("%s: %v", k, err)
		} else {
			out[key] = c
		}
	}
	return out, probs
}

// value reads what a context is: an image or a directory of the workspace.
func value(v, workspace string) (named.Context, error) {
	if ref, ok := strings.CutPrefix(v, imageScheme); ok {
		if _, err := reference.ParseNormalizedNamed(ref); err != nil || ref == "scratch" {
			return named.Context{}, fmt.Errorf("%q is not an image reference (want docker-image://<image>[:tag][@digest])", ref)
		}
		return named.Context{Image: ref}, nil
	}
	if scheme, _, ok := strings.Cut(v, "://"); ok || strings.HasPrefix(v, "git@") || strings.HasPrefix(v, "target:") {
		if !ok {
			scheme = strings.SplitN(strings.SplitN(v, "@", 2)[0], ":", 2)[0]
		}
		return named.Context{}, fmt.Errorf("%q: %s contexts are not supported here (want a directory of the workspace or docker-image://<ref>)", v, scheme)
	}
	if v == "" {
		return named.Context{}, fmt.Errorf("the path is empty (want a directory of the workspace or docker-image://<ref>)")
	}
	dir := filepath.Clean(v)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(workspace, dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return named.Context{}, fmt.Errorf("%q is not a directory of the workspace", v)
	}
	ws, err := filepath.EvalSymlinks(workspace)
	if rel, rerr := filepath.Rel(ws, real); err != nil || rerr != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return named.Context{}, fmt.Errorf("%q is outside the workspace %s", v, workspace)
	}
	if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
		return named.Context{}, fmt.Errorf("%q is not a directory", v)
	}
	return dirContext(real)
}

// dirContext reads a directory context's .dockerignore, which BuildKit
// applies to it, and digests the files it leaves in (as bind mounts of
// the build context are digested), so a change reaches the cache key.
func dirContext(dir string) (named.Context, error) {
	c := named.Context{Dir: dir}
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		c.Excludes, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return c, fmt.Errorf("reading %s/.dockerignore: %w", dir, err)
		}
	}
	d, err := buildinput.ContextHash(dir, filepath.Join(dir, ".dockerignore"))("")
	if err != nil {
		return c, fmt.Errorf("reading %s: %w", dir, err)
	}
	c.Digest = d
	return c, nil
}
