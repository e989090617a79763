package plugin

import (
	"slices"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// dockerHub is Docker Hub's key in the docker config, whatever name the
// Dockerfile gave it.
var dockerHub = docker.NormalizeHost("index.docker.io")

// pullHosts are the registries the build's pulls can actually reach: the
// hosts the Dockerfile names, and, for Docker Hub images, every mirror of
// PLUGIN_REGISTRY_MIRRORS, which kaniko tries first. When the front end
// could not resolve a reference, the pull may go anywhere: the push
// registry, the base image connector's and the mirrors.
func pullHosts(p *settings.Plan, f buildFacts) []string {
	hosts := slices.Clone(f.pulls)
	hub := f.unknown
	for _, h := range f.pulls {
		hub = hub || docker.NormalizeHost(h) == dockerHub
	}
	if f.unknown {
		hosts = append(hosts, p.Host, p.BaseImage.Registry)
	}
	if hub {
		for _, m := range p.Kaniko.RegistryMirrors {
			hosts = append(hosts, mirrorHost(m))
		}
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

// credentialedMirrors are the mirrors that the docker config gives
// credentials to: those on the push registry (the build's token) or on the
// base image connector's registry (its credentials).
func credentialedMirrors(p *settings.Plan, pulls []string) []string {
	own := map[string]bool{docker.NormalizeHost(p.Host): p.Host != ""}
	if p.BaseImage.Username != "" {
		own[docker.NormalizeHost(p.BaseImage.Registry)] = true
	}
	reached := map[string]bool{}
	for _, h := range pulls {
		reached[docker.NormalizeHost(h)] = true
	}
	var out []string
	for _, m := range p.Kaniko.RegistryMirrors {
		if k := docker.NormalizeHost(mirrorHost(m)); own[k] && reached[k] {
			out = append(out, m)
		}
	}
	return out
}
