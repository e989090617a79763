package settings

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/awsinput"
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
)

var (
	publicAliasRE = regexp.MustCompile(`^[a-z][a-z0-9]+(?:[._-][a-z0-9]+)*$`)
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

	if role != "" && !awsinput.RoleARN(role) {
		bad("PLUGIN_ASSUME_ROLE: %q is not an IAM role ARN (want arn:aws:iam::<12-digit account>:role/<name>)", role)
	}
	if ext != "" {
		if role == "" {
			bad("PLUGIN_EXTERNAL_ID needs PLUGIN_ASSUME_ROLE: an external id only goes with a role to assume")
		}
		// The value is never echoed: some treat external ids as secrets.
		if !awsinput.ExternalID(ext.Reveal()) {
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
		if !awsinput.LooksLikeJWT(oidc.Reveal()) {
			bad("PLUGIN_OIDC_TOKEN_ID is not a JWT (want three base64url parts joined by dots, at most 20000 characters)")
		}
	}
	p.AWS.AssumeRole, p.AWS.ExternalID, p.AWS.OIDCToken = role, ext, oidc
	if role != "" {
		p.AWS.RoleSessionName = awsinput.RoleSessionName(env.get("DRONE_BUILD_NUMBER"))
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
	for _, pol := range []struct {
		envVar, value string
		limit         int
		into          *json.RawMessage
	}{
		{"PLUGIN_LIFECYCLE_POLICY", s.LifecyclePolicy, awsinput.MaxLifecyclePolicy, &p.AWS.LifecyclePolicy},
		{"PLUGIN_REPOSITORY_POLICY", s.RepositoryPolicy, awsinput.MaxRepositoryPolicy, &p.AWS.RepositoryPolicy},
	} {
		if v := strings.TrimSpace(pol.value); v != "" {
			raw, err := awsinput.ReadPolicy(env.Dir, v, pol.limit)
			if err != nil {
				bad("%s: %v", pol.envVar, err)
			}
			*pol.into = raw
		}
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
