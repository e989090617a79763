package settings

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/taginput"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/values"

	"github.com/google/go-containerregistry/pkg/name"
)

// ValidationError lists every problem found in the settings.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	return "invalid settings:\n  " + strings.Join(e.Problems, "\n  ")
}

// Env is how validation sees the environment.
type Env struct {
	Lookup    func(string) (string, bool)
	Dir       string // working directory (the workspace)
	BinfmtDir string // where binfmt handlers are listed; empty: the kernel's
	Exe       string // the running binary, which runs the front end's steps; empty: <KANIKO_DIR>/kaniko-ecr
	// MountPoint returns the mount point a path lives on. Set only inside
	// a container, where outputs must not land on the container's "/".
	MountPoint func(path string) string
}

func (e Env) get(k string) string {
	v, _ := e.Lookup(k)
	return strings.TrimSpace(v)
}

func (e Env) isSet(k string) (ok bool) { _, ok = e.Lookup(k); return }

// endpointOverride reports whether an AWS endpoint override is set, the
// only case in which a non-ECR registry host is allowed.
func (e Env) endpointOverride() bool {
	return e.get("AWS_ENDPOINT_URL") != "" || e.get("AWS_ENDPOINT_URL_ECR") != ""
}

var (
	ecrHostRE    = regexp.MustCompile(`^(\d{12})\.dkr[.-]ecr(?:-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws|amazonaws\.eu|c2s\.ic\.gov|sc2s\.sgov\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)
	accountRE    = regexp.MustCompile(`^\d{12}$`)
	ecrRepoRE    = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$`)
	hostPortRE   = regexp.MustCompile(`^[A-Za-z0-9.-]+(?::\d{1,5})?$`)
	platformRE   = regexp.MustCompile(`^[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?$`)
	buildArgKeyR = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
)

// Validate checks every setting and returns the plan, or a *ValidationError
// naming every problem. It reads the Dockerfile but contacts nothing and
// writes nothing.
func (s *Settings) Validate(env Env) (*Plan, error) {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }

	for envVar, f := range fieldsByEnv(s) {
		if dc, ok := f.Interface().(values.Checker); ok && dc.DecodeErr() != nil {
			bad("%s: %v", envVar, dc.DecodeErr())
		}
	}

	p := &Plan{
		Target:             strings.TrimSpace(s.Target),
		CacheTTL:           s.CacheTTL.V,
		PushRetry:          s.PushRetry.V,
		ImageDownloadRetry: s.ImageDownloadRetry.V,
		AccessKey:          s.AccessKey,
		SecretKey:          s.SecretKey,
		SessionToken:       s.SessionToken,
		DryRun:             s.DryRun.V,
		Force:              s.Force.V,
		Labels:             s.CustomLabels.V,
		Provenance:         s.Provenance.Plan(s.ProvenanceKMSKey),
	}

	if pl := strings.TrimSpace(s.Platform); pl != "" {
		if !platformRE.MatchString(pl) {
			bad("PLUGIN_PLATFORM: %q is not a platform (want os/arch or os/arch/variant, such as linux/arm64)", pl)
		} else {
			p.Platform = pl
		}
	}
	validateRegistry(s, env, p, bad)
	p.Tags = resolveTags(s, env, p, bad)
	validateRepoAndTags(s, p, bad)
	validateBuildFiles(s, env, p, bad)
	validateBuildArgs(s, env, p, bad)
	validateSnapshot(s, env, p, bad)
	validateCache(s, env, p, bad)
	validateModes(s, env, p, bad)
	validateIndex(s, env, p, bad)
	validateBaseImage(s, p, bad)
	validateKanikoFlags(s, env, p, bad)
	validateDropIn(s, env, p, bad)
	validateAWS(s, env, p, bad)
	validateBuildKit(s, env, p, bad)

	if _, err := LogLevel(s.Verbosity); err != nil {
		bad("PLUGIN_VERBOSITY: %q is not a log level (want panic, fatal, error, warn, info, debug or trace)", s.Verbosity)
	}
	if f := strings.TrimSpace(s.LogFormat); f != "text" && f != "json" {
		bad("PLUGIN_LOG_FORMAT: %q is not a log format (want text or json)", s.LogFormat)
	}
	if (s.AccessKey == "") != (s.SecretKey == "") {
		bad("PLUGIN_ACCESS_KEY and PLUGIN_SECRET_KEY must be set together")
	}
	if s.SessionToken != "" && s.AccessKey == "" {
		bad("PLUGIN_SESSION_TOKEN needs PLUGIN_ACCESS_KEY and PLUGIN_SECRET_KEY")
	}

	if len(probs) > 0 {
		values.SortProblems(probs) // by variable, then line: a stable report
		return nil, &ValidationError{Problems: probs}
	}
	return p, nil
}

type reporter func(format string, args ...any)

func validateRegistry(s *Settings, env Env, p *Plan, bad reporter) {
	reg := strings.TrimSuffix(strings.TrimSpace(s.Registry), "/")
	for _, scheme := range []string{"https://", "http://"} {
		reg = strings.TrimPrefix(reg, scheme)
	}
	account := strings.TrimSpace(s.AccountID)
	region := strings.TrimSpace(s.Region)

	if account != "" && !accountRE.MatchString(account) {
		bad("PLUGIN_ACCOUNT_ID: %q is not an AWS account id (want 12 digits)", account)
	}
	if region != "" && !awsRegions[region] {
		bad("PLUGIN_REGION: %q is not an AWS region", region)
	}

	switch m := ecrHostRE.FindStringSubmatch(reg); {
	case isPublicRegistry(reg, env):
		validatePublicRegistry(reg, account, region, p, bad)
		return
	case reg == "":
		if account == "" || region == "" {
			bad("PLUGIN_REGISTRY is required, or PLUGIN_ACCOUNT_ID and PLUGIN_REGION to form it")
			return
		}
		reg = account + ".dkr.ecr." + region + ".amazonaws.com"
		if strings.HasPrefix(region, "cn-") {
			reg += ".cn"
		}
	case m != nil:
		if account != "" && account != m[1] {
			bad("PLUGIN_ACCOUNT_ID: %q differs from the account %q in PLUGIN_REGISTRY", account, m[1])
		}
		if region != "" && region != m[2] {
			bad("PLUGIN_REGION: %q differs from the region %q in PLUGIN_REGISTRY", region, m[2])
		}
		if !awsRegions[m[2]] {
			bad("PLUGIN_REGISTRY: %q names %q, which is not an AWS region", reg, m[2])
		}
		account, region = m[1], m[2]
	case env.endpointOverride() && hostPortRE.MatchString(reg):
		if region == "" {
			region = cmp.Or(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"))
		}
		if region == "" {
			bad("PLUGIN_REGION is required when PLUGIN_REGISTRY is not an ECR host")
		}
	case hostPortRE.MatchString(reg):
		bad("PLUGIN_REGISTRY: %q is not an ECR registry (want <account>.dkr.ecr.<region>.amazonaws.com; other hosts only with AWS_ENDPOINT_URL_ECR set)", reg)
	default:
		bad("PLUGIN_REGISTRY: %q is not a registry host (want <account>.dkr.ecr.<region>.amazonaws.com)", reg)
	}
	p.Registry, p.Host, p.AccountID, p.Region = reg, reg, account, region
	p.RegistryURL = cmp.Or(strings.TrimSpace(s.Registry), reg)
}

// checkECRRepo applies ECR's repository naming rules.
func checkECRRepo(envVar, repo string, bad reporter) bool {
	switch {
	case len(repo) < 2 || len(repo) > 256:
		bad("%s: %q must be 2 to 256 characters long", envVar, repo)
	case !ecrRepoRE.MatchString(repo):
		bad("%s: %q is not a valid ECR repository name (lowercase letters, digits, and . _ - / between them)", envVar, repo)
	default:
		return true
	}
	return false
}

func validateRepoAndTags(s *Settings, p *Plan, bad reporter) {
	tags, probs := taginput.Valid(p.Tags) // whatever else is wrong
	for _, pr := range probs {
		bad("%s", pr)
	}
	p.Tags = tags
	repo := strings.TrimSpace(s.Repo)
	if p.Host != "" {
		repo = strings.TrimPrefix(repo, p.RegistryPath()+"/")
	}
	if repo == "" {
		bad("PLUGIN_REPO is required")
		return
	}
	if !checkECRRepo("PLUGIN_REPO", repo, bad) {
		return
	}
	image := "registry.invalid/" + repo // the registry may be missing: the name is still checked
	if p.Host != "" {
		image = p.RegistryPath() + "/" + repo
	}
	if _, err := name.NewRepository(image, name.StrictValidation); err != nil {
		bad("PLUGIN_REPO: %q is not a valid repository: %v", repo, err)
		return
	}
	p.Repo = repo
}

func validateBuildFiles(s *Settings, env Env, p *Plan, bad reporter) {
	ctx := strings.TrimSpace(s.Context)
	if ctx == "" {
		ctx = "."
	}
	ctx = absIn(env.Dir, ctx)
	if fi, err := os.Stat(ctx); err != nil || !fi.IsDir() {
		bad("PLUGIN_CONTEXT: %q is not a directory", s.Context)
		return
	}
	p.Context = ctx
	if s.PushOnly.V || len(s.IndexSources.V) > 0 {
		return // nothing is built
	}

	df := strings.TrimSpace(s.Dockerfile)
	if df == "" {
		df = "Dockerfile"
	}
	// Like kaniko's CLI: relative to the working directory first, then to the context.
	cands := []string{absIn(env.Dir, df)}
	if !filepath.IsAbs(df) {
		cands = append(cands, filepath.Join(ctx, df))
	}
	for _, c := range cands {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			p.Dockerfile = c
			break
		}
	}
	if p.Dockerfile == "" {
		bad("PLUGIN_DOCKERFILE: %q not found in the workspace or the context", s.Dockerfile)
		return
	}
}

func absIn(dir, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(dir, path)
}

func validateBuildArgs(s *Settings, env Env, p *Plan, bad reporter) {
	// Later sources win for the same name: PLUGIN_BUILD_ARGS (unless
	// PLUGIN_BUILD_ARGS_NEW replaces it, buildArgsSources), then
	// PLUGIN_BUILD_ARGS_NEW, then PLUGIN_BUILD_ARGS_FROM_ENV.
	index := map[string]int{}
	add := func(envVar, item string, fromEnv bool) {
		k, v, hasValue := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !buildArgKeyR.MatchString(k) || (fromEnv && hasValue) {
			bad("%s: %q is not a build arg name (want NAME=value%s)", envVar, item, map[bool]string{true: " or NAME", false: ""}[!fromEnv])
			return
		}
		if !hasValue || fromEnv {
			// A bare name takes its value from the environment, as docker build does.
			v, _ = env.Lookup(k)
		}
		if i, ok := index[k]; ok {
			p.BuildArgs[i] = k + "=" + v
			return
		}
		index[k] = len(p.BuildArgs)
		p.BuildArgs = append(p.BuildArgs, k+"="+v)
	}
	if useOld, _ := buildArgsSources(s); useOld {
		for _, a := range s.BuildArgs.V {
			add("PLUGIN_BUILD_ARGS", a, false)
		}
	}
	for _, a := range s.BuildArgsNew.V {
		add("PLUGIN_BUILD_ARGS_NEW", a, false)
	}
	for _, a := range s.BuildArgsEnv.V {
		add("PLUGIN_BUILD_ARGS_FROM_ENV", a, true)
	}
}

func validateSnapshot(s *Settings, env Env, p *Plan, bad reporter) {
	mode := strings.ToLower(strings.TrimSpace(s.SnapshotMode))
	optSet := env.isSet("PLUGIN_OPTIMIZE") && s.Optimize.DecodeErr() == nil
	switch mode {
	case "":
		mode = "redo"
		if optSet && !s.Optimize.V {
			mode = "full"
		}
	case "full", "redo", "time":
		if optSet && s.Optimize.V && mode != "redo" {
			bad("PLUGIN_OPTIMIZE: true asks for snapshot mode redo, but PLUGIN_SNAPSHOT_MODE is %q", mode)
		}
	default:
		bad("PLUGIN_SNAPSHOT_MODE: %q is not a snapshot mode (want full, redo or time)", s.SnapshotMode)
	}
	p.Snapshot = mode
}

func validateCache(s *Settings, env Env, p *Plan, bad reporter) {
	repo := strings.TrimSpace(s.CacheRepo)
	p.Cache = s.EnableCache.V || (repo != "" && !env.isSet("PLUGIN_ENABLE_CACHE"))
	if repo == "" {
		return
	}
	repo = strings.TrimPrefix(strings.TrimPrefix(repo, "https://"), "http://")
	if p.Host == "" { // the registry is missing: the name is still checked
		if first, rest, ok := strings.Cut(repo, "/"); ok && strings.ContainsAny(first, ".:") {
			repo = rest
		}
		checkECRRepo("PLUGIN_CACHE_REPO", repo, bad)
		return
	}
	if strings.HasPrefix(repo, p.RegistryPath()+"/") {
		repo = strings.TrimPrefix(repo, p.RegistryPath()+"/")
	} else if first, _, ok := strings.Cut(repo, "/"); ok && strings.ContainsAny(first, ".:") {
		bad("PLUGIN_CACHE_REPO: %q is in another registry; the cache must live in %s", s.CacheRepo, p.RegistryPath())
		return
	}
	if checkECRRepo("PLUGIN_CACHE_REPO", repo, bad) {
		p.CacheRepo = p.RegistryPath() + "/" + repo
	}
}
