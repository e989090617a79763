// Package kanikoinput checks the values of the settings that pass through
// to kaniko with kaniko's meaning: registry hosts as kaniko's per-registry
// flags name them, mirrors, certificates, client certificate pairs, ignored
// paths, and the layers' compression and its level. It is a pure helper of
// package settings: each check takes one item of a setting and returns its
// normalised value, or an error that settings reports under the variable's
// name.
package kanikoinput

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/kaniko-ecr/kaniko-ecr/docker"

	"github.com/google/go-containerregistry/pkg/name"
)

// Registry is a registry as kaniko's per-registry flags name it: the
// host[:port], with Docker Hub's aliases as index.docker.io.
func Registry(s string) (string, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "https://"), "http://")
	h, _, _ = strings.Cut(h, "/")
	switch strings.ToLower(h) {
	case "docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return "index.docker.io", nil
	case "":
		return "", fmt.Errorf("%q is not a registry host", s)
	}
	if strings.ContainsFunc(h, notInHost) {
		return "", fmt.Errorf("%q is not a registry host", s)
	}
	return h, nil
}

// notInHost is white space or a control character, which no registry
// host or path holds.
func notInHost(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// Mirror is one of kaniko's --registry-mirror values: a host, maybe with a
// path, without the scheme or any trailing slash.
func Mirror(s string) (string, error) {
	m := strings.TrimRight(strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://"), "/")
	if m == "" || strings.HasPrefix(m, "/") || strings.ContainsFunc(m, notInHost) {
		return "", fmt.Errorf("%q is not a registry host", m)
	}
	return m, nil
}

// RegistryMapping is one of kaniko's --registry-map values,
// registry=mirror[;mirror...]: the registry as image references name it
// (docker.io is index.docker.io), and its mirrors as Mirror reads them.
func RegistryMapping(s string) (registry string, mirrors []string, err error) {
	from, to, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(from) == "" {
		return "", nil, fmt.Errorf("%q wants registry=mirror", s)
	}
	reg, err := name.NewRegistry(strings.TrimSpace(from))
	if err != nil || strings.ContainsFunc(reg.RegistryStr(), notInHost) {
		return "", nil, fmt.Errorf("%q: %q is not a registry host", s, from)
	}
	for _, m := range strings.Split(to, ";") {
		m, err := Mirror(strings.TrimSpace(m))
		if err != nil {
			return "", nil, fmt.Errorf("%q: %w", s, err)
		}
		mirrors = append(mirrors, m)
	}
	return reg.RegistryStr(), mirrors, nil
}

// IgnorePath is one of kaniko's --ignore-path values: an absolute path.
func IgnorePath(s string) (string, error) {
	if !filepath.IsAbs(s) {
		return "", fmt.Errorf("%q is not an absolute path", s)
	}
	return filepath.Clean(s), nil
}

// Dir is the directory that relative paths are in: the workspace.
type Dir string

func (d Dir) abs(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(string(d), path)
}

// Certificate reads one host=path item of kaniko's --registry-certificate:
// the host as docker config keys name it, and the certificate's absolute
// path, which must exist.
func (d Dir) Certificate(item string) (host, path string, err error) {
	host, file, ok := strings.Cut(item, "=")
	if !ok || strings.TrimSpace(file) == "" {
		return "", "", fmt.Errorf("%q wants host=path", item)
	}
	path = d.abs(strings.TrimSpace(file))
	if _, err := os.Stat(path); err != nil {
		return "", "", fmt.Errorf("certificate %q for %s not found", file, host)
	}
	return docker.NormalizeHost(host), path, nil
}

// ClientCert reads one host=cert,key item of kaniko's
// --registry-client-cert: the host (see Registry), and both files as
// absolute paths joined by a comma. Both must be files.
func (d Dir) ClientCert(item string) (host, files string, err error) {
	bad := fmt.Errorf("%q wants host=cert,key with both files in the workspace or at absolute paths", item)
	host, pair, ok := strings.Cut(item, "=")
	cert, key, ok2 := strings.Cut(pair, ",")
	if !ok || !ok2 {
		return "", "", bad
	}
	if host, err = Registry(host); err != nil {
		return "", "", bad
	}
	var abs []string
	for _, f := range []string{cert, key} {
		f = d.abs(strings.TrimSpace(f))
		if fi, err := os.Stat(f); err != nil || !fi.Mode().IsRegular() {
			return "", "", bad
		}
		abs = append(abs, f)
	}
	return host, strings.Join(abs, ","), nil
}

// levels are the compressions kaniko writes layers with, and the levels
// each takes: gzip's as compress/gzip numbers them, zstd's as the zstd
// command does (klauspost/compress maps them onto its encoder levels with
// zstd.EncoderLevelFromZstd). Unset, both are at level 1: kaniko then
// leaves the level to go-containerregistry, whose default is 1 for both.
var levels = map[string][2]int{"gzip": {1, 9}, "zstd": {1, 22}}

// Compression is kaniko's --compression, in lower case: gzip (also when
// empty) or zstd.
func Compression(s string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(s))
	if c == "" {
		return "gzip", nil
	}
	if _, ok := levels[c]; !ok {
		return "", fmt.Errorf("%q is not a compression (want gzip or zstd)", s)
	}
	return c, nil
}

// Level checks kaniko's --compression-level against the levels of
// compression, as Compression returns it.
func Level(compression string, level int) error {
	r, ok := levels[compression]
	if !ok {
		return fmt.Errorf("%q is not a compression (want gzip or zstd)", compression)
	}
	if level < r[0] || level > r[1] {
		return fmt.Errorf("%d is outside %s's levels %d-%d", level, compression, r[0], r[1])
	}
	return nil
}
