// Package docker reads, changes and writes a docker config.json, the file in
// which kaniko's keychain (and go-containerregistry's) finds registry
// credentials. It does no network calls and no logging.
package docker

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultDir is where kaniko's image keeps its docker config.
const DefaultDir = "/kaniko/.docker"

// dockerHubKey is the key docker and go-containerregistry look up for Docker Hub.
const dockerHubKey = "https://index.docker.io/v1/"

// Config is a docker config.json. Keys other than "auths" are kept as they
// were read, so writing it back loses nothing.
type Config struct {
	Auths map[string]Auth
	other map[string]json.RawMessage
}

// Auth is one entry of "auths".
type Auth struct {
	Auth string `json:"auth,omitempty"`
	// Other fields (identitytoken, registrytoken, ...) are kept as read.
	Extra map[string]json.RawMessage `json:"-"`
}

// Dir returns $DOCKER_CONFIG, or DefaultDir when it is unset.
func Dir() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	return DefaultDir
}

// Load reads dir/config.json. A missing file gives an empty Config.
func Load(dir string) (*Config, error) {
	c := &Config{Auths: map[string]Auth{}, other: map[string]json.RawMessage{}}
	path := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(raw, &c.other); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if a, ok := c.other["auths"]; ok {
		var entries map[string]map[string]json.RawMessage
		if err := json.Unmarshal(a, &entries); err != nil {
			return nil, fmt.Errorf("parsing auths in %s: %w", path, err)
		}
		for host, fields := range entries {
			var e Auth
			if v, ok := fields["auth"]; ok {
				if err := json.Unmarshal(v, &e.Auth); err != nil {
					return nil, fmt.Errorf("parsing auth of %s in %s: %w", host, path, err)
				}
				delete(fields, "auth")
			}
			if len(fields) > 0 {
				e.Extra = fields
			}
			c.Auths[host] = e
		}
		delete(c.other, "auths")
	}
	return c, nil
}

// NormalizeHost turns a registry URL or host into the key docker clients
// look up: scheme and path dropped, Docker Hub's many names folded into
// its one legacy key.
func NormalizeHost(registry string) string {
	h := strings.TrimSpace(registry)
	h = strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://")
	h, _, _ = strings.Cut(h, "/")
	switch strings.ToLower(h) {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return dockerHubKey
	}
	return h
}

// SetAuth stores user and password for registry, replacing any entry for it.
// A credential helper configured for the same host would shadow the entry,
// so it is removed.
func (c *Config) SetAuth(registry, user, password string) {
	key := NormalizeHost(registry)
	c.Auths[key] = Auth{Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
	if raw, ok := c.other["credHelpers"]; ok {
		var helpers map[string]string
		if json.Unmarshal(raw, &helpers) == nil {
			if _, ok := helpers[key]; ok {
				delete(helpers, key)
				b, _ := json.Marshal(helpers)
				c.other["credHelpers"] = b
			}
		}
	}
}

// MarshalJSON writes the config with every key it was read with.
func (c *Config) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(c.other)+1)
	for k, v := range c.other {
		out[k] = v
	}
	auths := make(map[string]map[string]any, len(c.Auths))
	for host, a := range c.Auths {
		e := map[string]any{}
		for k, v := range a.Extra {
			e[k] = v
		}
		if a.Auth != "" {
			e["auth"] = a.Auth
		}
		auths[host] = e
	}
	out["auths"] = auths
	return json.MarshalIndent(out, "", "\t")
}

// Write stores the config as dir/config.json: the directory is created with
// mode 0700 if missing, and the file is replaced atomically with mode 0600.
func (c *Config) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, err := c.MarshalJSON()
	if err != nil {
		return err
	}
	return writePrivate(filepath.Join(dir, "config.json"), append(data, '\n'))
}

// Restore puts dir/config.json back as it was: orig, or no file when it
// did not exist.
func Restore(dir string, orig []byte, existed bool) error {
	path := filepath.Join(dir, "config.json")
	if existed {
		return writePrivate(path, orig)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// writePrivate replaces path atomically with data, mode 0600.
func writePrivate(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config.json.*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// DecodeAuth splits a base64 "user:password" value, the encoding of an
// "auths" entry and of an ECR authorization token. Both parts must be set.
func DecodeAuth(auth string) (user, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(auth)
	if err != nil {
		return "", "", errors.New("not base64")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || password == "" {
		return "", "", errors.New("want user:password")
	}
	return user, password, nil
}
