package settings

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
)

// AWSPlan is the AWS side of a Plan beyond static keys: how credentials are
// obtained, repository management and ECR Public.
type AWSPlan struct {
	AssumeRole      string // role ARN; with OIDCToken: AssumeRoleWithWebIdentity
	ExternalID      redact.Secret
	OIDCToken       redact.Secret
	RoleSessionName string // set when AssumeRole is

	CreateRepository bool
	ScanOnPush       bool
	TagImmutability  string          // MUTABLE or IMMUTABLE, on create; empty: MUTABLE
	LifecyclePolicy  json.RawMessage // compacted JSON, nil: none
	RepositoryPolicy json.RawMessage

	PublicAlias string // ECR Public registry alias; empty: private ECR
}

const (
	publicHost = "public.ecr.aws"
	// ECR Public only issues tokens and manages repositories in us-east-1.
	PublicRegion = "us-east-1"

	// ECR's limits on policy text.
	maxLifecyclePolicy  = 30720
	maxRepositoryPolicy = 10240
)

var (
	roleARNRE     = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	publicAliasRE = regexp.MustCompile(`^[a-z][a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	jwtPartRE     = regexp.MustCompile(`^[A-Za-z0-9_-]+={0,2}$`)
	sessionCharRE = regexp.MustCompile(`[^\w+=,.@-]`)
)

// isPublicRegistry reports whether reg names an ECR Public registry:
// public.ecr.aws[/<alias>], or host[:port]/<alias> when the ECR Public
// endpoint is overridden (the local stand-in and LocalStack).
func isPublicRegistry(reg string, env Env) bool {
	if reg == publicHost || strings.HasPrefix(reg, publicHost+"/") {
		return true
	}
	host, _, ok := strings.Cut(reg, "/")
	return ok && env.get("AWS_ENDPOINT_URL_ECR_PUBLIC") != "" && hostPortRE.MatchString(host)
}

func validatePublicRegistry(reg, account, region string, p *Plan, bad reporter) {
	host, alias, _ := strings.Cut(reg, "/")
	switch {
	case alias == "":
		bad("PLUGIN_REGISTRY: %q lacks the registry alias (want %s/<alias>)", reg, publicHost)
	case len(alias) < 2 || len(alias) > 50 || !publicAliasRE.MatchString(alias):
		bad("PLUGIN_REGISTRY: %q is not an ECR Public registry alias (2 to 50 lowercase letters and digits with . _ - between them, starting with a letter)", alias)
	}
	if region == "" {
		region = PublicRegion
	}
	p.Registry, p.Host, p.AccountID, p.Region = reg, host, account, region
	p.AWS.PublicAlias = alias
}

// validateAWS checks the credential and repository settings.
func validateAWS(s *Settings, env Env, p *Plan, bad reporter) {
	role := strings.TrimSpace(s.AssumeRole)
	ext := redact.Secret(strings.TrimSpace(s.ExternalID.Reveal()))
	oidc := redact.Secret(strings.TrimSpace(s.OIDCTokenID.Reveal()))

	if role != "" && !roleARNRE.MatchString(role) {
		bad("PLUGIN_ASSUME_ROLE: %q is not an IAM role ARN (want arn:aws:iam::<12-digit account>:role/<name>)", role)
	}
	if ext != "" {
		if role == "" {
			bad("PLUGIN_EXTERNAL_ID needs PLUGIN_ASSUME_ROLE: an external id only goes with a role to assume")
		}
		// The value is never echoed: some treat external ids as secrets.
		if n := len(ext); n < 2 || n > 1224 || !externalIDRE.MatchString(ext.Reveal()) {
			bad("PLUGIN_EXTERNAL_ID is not a valid external id (2 to 1224 letters, digits and + = , . @ : / - _)")
		}
	}
	if oidc != "" {
		if role == "" {
			bad("PLUGIN_OIDC_TOKEN_ID needs PLUGIN_ASSUME_ROLE: the role to assume with the web identity token")
		}
		if s.AccessKey != "" {
			bad("PLUGIN_OIDC_TOKEN_ID and PLUGIN_ACCESS_KEY are both set: use one way to sign in")
		}
		if ext != "" {
			bad("PLUGIN_EXTERNAL_ID does not apply with PLUGIN_OIDC_TOKEN_ID: AssumeRoleWithWebIdentity takes no external id")
		}
		if !looksLikeJWT(oidc.Reveal()) {
			bad("PLUGIN_OIDC_TOKEN_ID is not a JWT (want three base64url parts joined by dots, at most 20000 characters)")
		}
	}
	p.AWS.AssumeRole, p.AWS.ExternalID, p.AWS.OIDCToken = role, ext, oidc
	if role != "" {
		p.AWS.RoleSessionName = roleSessionName(env.get("DRONE_BUILD_NUMBER"))
	}

	p.AWS.CreateRepository = s.CreateRepository.V
	p.AWS.ScanOnPush = s.ScanOnPush.V
	switch m := strings.ToUpper(strings.TrimSpace(s.TagImmutability)); m {
	case "":
	case "MUTABLE", "IMMUTABLE":
		p.AWS.TagImmutability = m
	default:
		bad("PLUGIN_TAG_IMMUTABILITY: %q is not MUTABLE or IMMUTABLE", s.TagImmutability)
	}
	if v := strings.TrimSpace(s.LifecyclePolicy); v != "" {
		p.AWS.LifecyclePolicy = readPolicy("PLUGIN_LIFECYCLE_POLICY", env.Dir, v, maxLifecyclePolicy, bad)
	}
	if v := strings.TrimSpace(s.RepositoryPolicy); v != "" {
		p.AWS.RepositoryPolicy = readPolicy("PLUGIN_REPOSITORY_POLICY", env.Dir, v, maxRepositoryPolicy, bad)
	}

	if p.IsPublic() {
		// ECR Public has neither of these; saying so beats ignoring them.
		if p.AWS.TagImmutability != "" {
			bad("PLUGIN_TAG_IMMUTABILITY: ECR Public repositories have no tag immutability setting")
		}
		if p.AWS.ScanOnPush {
			bad("PLUGIN_SCAN_ON_PUSH: ECR Public does not scan images")
		}
		if p.AWS.LifecyclePolicy != nil {
			bad("PLUGIN_LIFECYCLE_POLICY: ECR Public repositories have no lifecycle policies")
		}
	}
}

// looksLikeJWT checks the shape of a compact JWS, without decoding it.
func looksLikeJWT(tok string) bool {
	if len(tok) < 4 || len(tok) > 20000 {
		return false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	for _, part := range parts {
		if !jwtPartRE.MatchString(part) {
			return false
		}
	}
	return true
}

// roleSessionName names the STS session after the build, so CloudTrail
// shows which build pushed.
func roleSessionName(build string) string {
	name := "kaniko-ecr"
	if build = sessionCharRE.ReplaceAllString(build, ""); build != "" {
		name += "-" + build
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// readPolicy reads a policy given as a file (relative to the workspace) or
// as the JSON itself, checks that it is a JSON object within ECR's limit,
// and returns it compacted.
func readPolicy(envVar, dir, v string, limit int, bad reporter) json.RawMessage {
	raw := []byte(v)
	if !strings.HasPrefix(v, "{") {
		f, err := os.Open(absIn(dir, v))
		if err != nil {
			bad("%s: reading %q: %v", envVar, v, err)
			return nil
		}
		defer f.Close()
		// Far above ECR's limits: no reason to read a huge file whole.
		raw, err = io.ReadAll(io.LimitReader(f, 1<<20))
		if err != nil {
			bad("%s: reading %q: %v", envVar, v, err)
			return nil
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		bad("%s: %q is not a JSON object: %v", envVar, shorten(v), err)
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		bad("%s: %q is not valid JSON: %v", envVar, shorten(v), err)
		return nil
	}
	if buf.Len() > limit {
		bad("%s: %q is %d bytes of JSON; ECR takes at most %d", envVar, shorten(v), buf.Len(), limit)
		return nil
	}
	return json.RawMessage(buf.Bytes())
}

// shorten keeps an inline policy from flooding the report.
func shorten(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// CreateSummary describes a repository that PLUGIN_CREATE_REPOSITORY makes,
// for the log.
func (a AWSPlan) CreateSummary() string {
	out := a.TagImmutability
	if out == "" {
		out = "MUTABLE"
	}
	if a.ScanOnPush {
		out += ", scan on push"
	}
	return out
}
