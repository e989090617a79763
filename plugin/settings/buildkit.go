package settings

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/buildinput"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/contextinput"
)

// buildSecrets resolves every build secret's value, and notes the
// variables they came from. Values are read during validation so that a
// missing variable or file is reported with the rest.
func buildSecrets(s *Settings, env Env, p *Plan, bad reporter) {
	type sourced struct {
		envVar string
		src    buildinput.Source
	}
	var all []sourced
	for _, set := range []struct {
		envVar string
		items  []string
		parse  func(string) (buildinput.Source, error)
	}{
		{"PLUGIN_SECRETS_FROM_ENV", s.SecretsFromEnv.V, func(it string) (buildinput.Source, error) { return buildinput.ParseItem(it, true) }},
		{"PLUGIN_SECRETS_FROM_FILE", s.SecretsFromFile.V, func(it string) (buildinput.Source, error) { return buildinput.ParseItem(it, false) }},
		{"PLUGIN_SECRET", s.Secret.V, buildinput.ParseBuildx},
	} {
		for _, it := range set.items {
			if src, err := set.parse(it); err != nil {
				bad("%s: %v", set.envVar, err)
			} else {
				all = append(all, sourced{set.envVar, src})
			}
		}
	}
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
		if p.BuildSecrets == nil {
			p.BuildSecrets = map[string]redact.Secret{}
		}
		p.BuildSecrets[a.src.ID] = v
		if a.src.Env != "" {
			p.SecretEnv = append(p.SecretEnv, a.src.Env)
		}
	}
}

// validateBuildKit resolves the build secrets, the SSH key and the cache
// mount directory, then has the Dockerfile front end check the Dockerfile
// against them: whatever kaniko would drop is either rewritten into what
// kaniko can build, or refused here naming the file and line.
func validateBuildKit(s *Settings, env Env, p *Plan, bad reporter) {
	buildSecrets(s, env, p, bad)
	if key := s.SSHAgentKey; strings.TrimSpace(key.Reveal()) != "" {
		// The key is never echoed, not even in part.
		if _, err := ssh.ParseRawPrivateKey([]byte(key.Reveal())); err != nil {
			bad("PLUGIN_SSH_AGENT_KEY is not a private key that ssh can read (want an unencrypted PEM or OpenSSH private key)")
		} else {
			p.SSHKey = key
		}
	}
	if d := strings.TrimSpace(s.CacheMountDir); d != "" {
		p.CacheMountDir = outputDir("PLUGIN_CACHE_MOUNT_DIR", d, env, bad)
	}
	if s.CacheMountRemote.V {
		switch {
		case p.CacheMountDir != "":
			bad("PLUGIN_CACHE_MOUNT_REMOTE and PLUGIN_CACHE_MOUNT_DIR are both set: keep cache mounts in one place")
		case p.Repo != "":
			p.CacheMountRepo = cmp.Or(p.CacheRepo, p.Image()+"/cache")
		}
	}
	ctxs, probs := contextinput.Parse(s.BuildContexts.V, env.Dir)
	for _, pr := range probs {
		bad("%s", pr)
	}
	if len(ctxs) > 0 {
		p.Contexts = ctxs
	}
	if p.Dockerfile == "" {
		return
	}
	src, err := os.ReadFile(p.Dockerfile)
	if err != nil {
		bad("PLUGIN_DOCKERFILE: reading %q: %v", s.Dockerfile, err)
		return
	}
	file := cmp.Or(strings.TrimSpace(s.Dockerfile), "Dockerfile")
	ids := map[string]bool{}
	for id := range p.BuildSecrets {
		ids[id] = true
	}
	res, fprobs := dockerfile.Analyze(src, dockerfile.Options{
		File:        file,
		Secrets:     ids,
		SSH:         p.SSHKey != "",
		Helper:      cmp.Or(env.Exe, kanikoDir(env)+"/kaniko-ecr"),
		StepDir:     StepDir(kanikoDir(env)),
		Platform:    p.Platform,
		Target:      p.Target,
		AllStages:   !p.Kaniko.SkipUnusedStages,
		BuildArgs:   p.BuildArgs,
		Checks:      s.BuildChecks.V,
		ContentHash: buildinput.ContextHash(p.Context, p.Dockerfile), SelectHash: buildinput.SelectHash(p.Context, p.Dockerfile),
		Contexts: p.Contexts,
	})
	for _, pr := range fprobs {
		bad("%s", pr)
	}
	p.Frontend = res
	if p.Target != "" && !slices.Contains(res.Stages, strings.ToLower(p.Target)) {
		bad("PLUGIN_TARGET: %q is not a stage of %s (stages: %s)", p.Target, file, strings.Join(res.Stages, ", "))
	}
	checkForeignRuns(p, env, file, res.Runs, bad)
	for _, w := range res.Warnings {
		p.Warnings = append(p.Warnings, w.String())
	}
}

// kanikoDir is where kaniko keeps its files (KANIKO_DIR, as kaniko reads it).
func kanikoDir(env Env) string { return cmp.Or(env.get("KANIKO_DIR"), "/kaniko") }

// StepDir is where the builder writes the steps that the front end made,
// under kaniko's directory, which kaniko never snapshots.
func StepDir(kanikoDir string) string { return filepath.Join(kanikoDir, ".kaniko-ecr", "steps") }

// checkForeignRuns refuses RUN steps of a platform this machine cannot
// execute: without a binfmt handler they would fail deep in the build
// with "exec format error". Stages without RUN build for any platform.
func checkForeignRuns(p *Plan, env Env, file string, runs []dockerfile.StageRun, bad reporter) {
	arch, foreign := buildinput.ForeignArch(p.Platform)
	if p.Platform == "" || !foreign || len(runs) == 0 || buildinput.Binfmt(cmp.Or(env.BinfmtDir, buildinput.BinfmtDir), arch) {
		return
	}
	r := runs[0]
	name := cmp.Or(r.Name, fmt.Sprintf("%d", r.Stage))
	bad("PLUGIN_PLATFORM: %s cannot run the RUN steps of stage %s (%s:%d) here: no binfmt handler for %s is registered or visible in %s; build on a %s node and join the images of each platform with index mode (PLUGIN_INDEX_SOURCES)",
		p.Platform, name, file, r.Line, arch, buildinput.BinfmtDir, arch)
}
