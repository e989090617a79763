package ecrtoken

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// Scoper gets a registry token from a session narrowed by a session policy,
// for the build: a RUN step that steals it cannot push the image.
type Scoper interface {
	// ScopedToken returns the token and the session's secrets (for the
	// log's redaction).
	ScopedToken(ctx context.Context, policy string) (Token, []string, error)
	// Mode names the STS call, for the log.
	Mode() string
}

// scoper narrows the run's own credentials with STS: AssumeRole and
// AssumeRoleWithWebIdentity take a session policy, and an IAM user's static
// keys can call GetFederationToken with one.
type scoper struct {
	base      aws.Config // the credentials under any role
	mode      string     // AssumeRole, AssumeRoleWithWebIdentity, GetFederationToken
	role      string
	session   string
	external  string
	webToken  func() (string, error)
	federated string
}

// NewScoper returns the scoper the credential mode allows, or nil: temporary
// static keys and the default chain's other sources take no session policy.
func NewScoper(base aws.Config, p *settings.Plan) Scoper {
	a := p.AWS
	sc := &scoper{base: base, role: a.AssumeRole, session: a.RoleSessionName}
	switch {
	case a.OIDCToken != "":
		sc.mode, sc.webToken = "AssumeRoleWithWebIdentity", func() (string, error) { return a.OIDCToken.Reveal(), nil }
	case a.AssumeRole != "":
		sc.mode, sc.external = "AssumeRole", a.ExternalID.Reveal()
	case p.AccessKey != "" && p.SessionToken == "":
		sc.mode, sc.federated = "GetFederationToken", "kaniko-ecr-build"
	case p.AccessKey == "" && os.Getenv("AWS_ROLE_ARN") != "" && os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "":
		// IRSA: the default chain's web identity; the file is read again
		// when the build needs its token.
		file := os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE")
		sc.mode, sc.role = "AssumeRoleWithWebIdentity", os.Getenv("AWS_ROLE_ARN")
		sc.webToken = func() (string, error) {
			b, err := os.ReadFile(file)
			return strings.TrimSpace(string(b)), err
		}
	default:
		return nil
	}
	if sc.session == "" {
		sc.session = "kaniko-ecr-build"
	}
	return sc
}

func (sc *scoper) Mode() string { return sc.mode }

func (sc *scoper) ScopedToken(ctx context.Context, policy string) (Token, []string, error) {
	client := sts.NewFromConfig(sc.base)
	var c *types.Credentials
	switch sc.mode {
	case "AssumeRoleWithWebIdentity":
		tok, err := sc.webToken()
		if err != nil {
			return Token{}, nil, fmt.Errorf("reading the web identity token: %w", err)
		}
		out, err := client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(sc.role), RoleSessionName: aws.String(sc.session), WebIdentityToken: aws.String(tok), Policy: aws.String(policy)})
		if err != nil {
			return Token{}, nil, err
		}
		c = out.Credentials
	case "AssumeRole":
		in := &sts.AssumeRoleInput{RoleArn: aws.String(sc.role), RoleSessionName: aws.String(sc.session), Policy: aws.String(policy)}
		if sc.external != "" {
			in.ExternalId = aws.String(sc.external)
		}
		out, err := client.AssumeRole(ctx, in)
		if err != nil {
			return Token{}, nil, err
		}
		c = out.Credentials
	default:
		out, err := client.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String(sc.federated), Policy: aws.String(policy)})
		if err != nil {
			return Token{}, nil, err
		}
		c = out.Credentials
	}
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil {
		return Token{}, nil, errors.New("STS returned no credentials")
	}
	secrets := []string{aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)}
	cfg := sc.base.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	tok, err := Get(ctx, ecr.NewFromConfig(cfg))
	return tok, append(secrets, tok.Password), err
}
