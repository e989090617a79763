// Package mirrors knows where the build's pulls go: kaniko tries each
// registry's mirrors (PLUGIN_REGISTRY_MIRRORS for Docker Hub,
// PLUGIN_REGISTRY_MAP for any) before the registry itself, so the docker
// config must hold credentials for them too, and a mirror that refuses
// them is best found before the build. It reads the plan and makes no
// call but Check's.
package mirrors

import (
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// Route is a mirror kaniko tries before a registry, and the setting that
// named it.
type Route struct {
	Mirror  string // host, maybe with a path prefix
	Setting string // PLUGIN_REGISTRY_MIRRORS or PLUGIN_REGISTRY_MAP
}

// routes are the mirrors of each registry, keyed as kaniko keys them (the
// image reference's registry: index.docker.io for Docker Hub), in the order
// kaniko tries them.
func routes(p *settings.Plan) map[string][]Route {
	out := map[string][]Route{}
	for from, to := range p.Kaniko.RegistryMaps {
		for _, m := range to {
			out[from] = append(out[from], Route{m, "PLUGIN_REGISTRY_MAP"})
		}
	}
	for _, m := range p.Kaniko.RegistryMirrors {
		out[name.DefaultRegistry] = append(out[name.DefaultRegistry], Route{m, "PLUGIN_REGISTRY_MIRRORS"})
	}
	return out
}

// registryKey is a registry host as kaniko's registry maps key it.
func registryKey(host string) string {
	if r, err := name.NewRegistry(host); err == nil {
		return r.RegistryStr()
	}
	return host
}

// Reached are the mirrors the build's pulls go through: those of
// every registry the Dockerfile names (pulls) (PLUGIN_REGISTRY_MIRRORS for Docker
// Hub, PLUGIN_REGISTRY_MAP for any), or every mirror when the front end
// could not resolve a reference.
func Reached(p *settings.Plan, pulls []string, unknown bool) []Route {
	rs := routes(p)
	var out []Route
	for _, from := range slices.Sorted(maps.Keys(rs)) {
		reached := unknown
		for _, h := range pulls {
			reached = reached || registryKey(h) == from
		}
		if reached {
			out = append(out, rs[from]...)
		}
	}
	return out
}

// PullHosts are the registries the build's pulls can actually reach: the
// hosts the Dockerfile names and the mirrors they go through (via). When
// the front end could not resolve a reference, the pull may go anywhere:
// the push registry and the base image connector's too.
func PullHosts(p *settings.Plan, pulls []string, unknown bool, via []Route) []string {
	hosts := slices.Clone(pulls)
	if unknown {
		hosts = append(hosts, p.Host, p.BaseImage.Registry)
	}
	for _, r := range via {
		hosts = append(hosts, mirrorHost(r.Mirror))
	}
	var out []string
	seen := map[string]bool{}
	for _, h := range hosts {
		if k := docker.NormalizeHost(h); h != "" && !seen[k] {
			seen[k] = true
			out = append(out, h)
		}
	}
	return out
}

// mirrorHost is the registry host of a mirror, which may carry a path
// prefix (kaniko maps library/alpine to <host>/<prefix>/library/alpine).
func mirrorHost(m string) string {
	h, _, _ := strings.Cut(m, "/")
	return h
}

// Credentialed are the mirrors among via that the docker config
// gives credentials to: those on the push registry (the build's token) or
// on the base image connector's registry (its credentials).
func Credentialed(p *settings.Plan, via []Route) []Route {
	own := map[string]bool{docker.NormalizeHost(p.Host): p.Host != ""}
	if p.BaseImage.Username != "" {
		own[docker.NormalizeHost(p.BaseImage.Registry)] = true
	}
	var out []Route
	for _, r := range via {
		if own[docker.NormalizeHost(mirrorHost(r.Mirror))] && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
