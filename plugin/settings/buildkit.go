package settings

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/buildinput"
)

// buildSecrets resolves every build secret's value. Values are read during
// validation so that a missing variable or file is reported with the rest.
func buildSecrets(s *Settings, env Env, bad reporter) map[string]redact.Secret {
	type sourced struct {
		envVar string
		src    buildinput.Source
	}
	var all []sourced
	for _, it := range s.SecretsFromEnv.V {
		if src, err := buildinput.ParseItem(it, true); err != nil {
			bad("PLUGIN_SECRETS_FROM_ENV: %v", err)
		} else {
			all = append(all, sourced{"PLUGIN_SECRETS_FROM_ENV", src})
		}
	}
	for _, it := range s.SecretsFromFile.V {
		if src, err := buildinput.ParseItem(it, false); err != nil {
			bad("PLUGIN_SECRETS_FROM_FILE: %v", err)
		} else {
			all = append(all, sourced{"PLUGIN_SECRETS_FROM_FILE", src})
		}
	}
	for _, it := range s.Secret.V {
		if src, err := buildinput.ParseBuildx(it); err != nil {
			bad("PLUGIN_SECRET: %v", err)
		} else {
			all = append(all, sourced{"PLUGIN_SECRET", src})
		}
	}
	out := map[string]redact.Secret{}
	from := map[string]string{}
	for _, a := range all {
		if prev, dup := from[a.src.ID]; dup {
			bad("%s: secret %q is also given by %s", a.envVar, a.src.ID, prev)
			continue
		}
		from[a.src.ID] = a.envVar
		v, err := buildinput.Read(a.src, env.Lookup, env.Dir)
		if err != nil {
			bad("%s: %v", a.envVar, err)
			continue
		}
		out[a.src.ID] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// validateBuildKit resolves the build secrets, the SSH key and the cache
// mount directory, then has the Dockerfile front end check the Dockerfile
// against them: whatever kaniko would drop is either rewritten into what
// kaniko can build, or refused here naming the file and line.
func validateBuildKit(s *Settings, env Env, p *Plan, bad reporter) {
	p.BuildSecrets = buildSecrets(s, env, bad)
	if key := s.SSHAgentKey; strings.TrimSpace(key.Reveal()) != "" {
		// The key is never echoed, not even in part.
		if _, err := ssh.ParseRawPrivateKey([]byte(key.Reveal())); err != nil {
			bad("PLUGIN_SSH_AGENT_KEY is not a private key that ssh can read (want an unencrypted PEM or OpenSSH private key)")
		} else {
			p.SSHKey = key
		}
	}
	if d := strings.TrimSpace(s.CacheMountDir); d != "" {
		p.CacheMountDir = absIn(env.Dir, d)
		if env.MountPoint != nil && env.MountPoint(p.CacheMountDir) == "/" {
			bad("PLUGIN_CACHE_MOUNT_DIR: %q is not on a mounted volume; keep it under the workspace (%s) or another mount", d, env.Dir)
		} else if fi, err := os.Stat(p.CacheMountDir); err == nil && !fi.IsDir() {
			bad("PLUGIN_CACHE_MOUNT_DIR: %q is not a directory", d)
		}
	}
	if p.Dockerfile == "" {
		return
	}
	src, err := os.ReadFile(p.Dockerfile)
	if err != nil {
		bad("PLUGIN_DOCKERFILE: reading %q: %v", s.Dockerfile, err)
		return
	}
	ids := map[string]bool{}
	for id := range p.BuildSecrets {
		ids[id] = true
	}
	res, probs := dockerfile.Analyze(src, dockerfile.Options{
		File:        cmp.Or(strings.TrimSpace(s.Dockerfile), "Dockerfile"),
		Secrets:     ids,
		SSH:         p.SSHKey != "",
		Helper:      cmp.Or(env.Exe, kanikoDir(env)+"/kaniko-ecr"),
		StepDir:     StepDir(kanikoDir(env)),
		Platform:    p.Platform,
		ContentHash: buildinput.ContextHash(p.Context),
	})
	for _, pr := range probs {
		bad("%s", pr)
	}
	p.Frontend = res
	for _, w := range res.Warnings {
		p.Warnings = append(p.Warnings, w.String())
	}
}

// kanikoDir is where kaniko keeps its files (KANIKO_DIR, as kaniko reads it).
func kanikoDir(env Env) string { return cmp.Or(env.get("KANIKO_DIR"), "/kaniko") }

// StepDir is where the builder writes the steps that the front end made,
// under kaniko's directory, which kaniko never snapshots.
func StepDir(kanikoDir string) string { return filepath.Join(kanikoDir, ".kaniko-ecr", "steps") }

// sortProblems orders a validation report: by variable, and the
// Dockerfile's problems by line.
func sortProblems(probs []string) {
	key := func(p string) (string, int) {
		var file string
		var line int
		if n, _ := fmt.Sscanf(strings.Replace(p, ":", " ", 2), "%s %d", &file, &line); n == 2 {
			return file, line
		}
		return p, -1
	}
	sort.SliceStable(probs, func(i, j int) bool {
		fi, li := key(probs[i])
		fj, lj := key(probs[j])
		if fi != fj || li < 0 || lj < 0 {
			return probs[i] < probs[j]
		}
		return li < lj
	})
}
