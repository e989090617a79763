package awsecr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr/ecrtoken"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STSAPI is the part of the STS client the plugin calls itself (the role
// providers call AssumeRole*); *sts.Client satisfies it unchanged.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ STSAPI = (*sts.Client)(nil)

// Clients are the AWS clients of one run, all made from one aws.Config.
type Clients struct {
	Registry Registry
	STS      STSAPI
	// Credentials is the config's provider, retrieved once before the
	// checks so that a failure to sign in is reported as such. Nil: the
	// clients sign by themselves (fakes).
	Credentials aws.CredentialsProvider
	// ImageFacts reads an image's config from the registry; nil: with
	// go-containerregistry over Transport (tests replace it).
	ImageFacts func(ctx context.Context, ref string, tok Token) (ImageFacts, error)
	// Transport carries the registry reads of the checks. The run sets the
	// push's own transport, so that PLUGIN_SKIP_TLS_VERIFY and
	// PLUGIN_REGISTRY_CERTIFICATE apply to them too; nil: the default.
	Transport http.RoundTripper
	// Scoper gets the build's narrowed token; nil: the credential mode
	// takes no session policy, and the build gets the run's own token.
	Scoper Scoper
	Config aws.Config // signed in, any role assumed: for other clients (KMS)
}

const (
	// awsMaxAttempts bounds every AWS call, retries included (the SDK's
	// default is 3), unless AWS_MAX_ATTEMPTS says otherwise.
	awsMaxAttempts = 5
)

// awsRetryMaxBackoff caps the SDK's wait between attempts; tests shorten it.
var awsRetryMaxBackoff = retry.DefaultMaxBackoff

// NewClients makes every client from one aws-sdk-go-v2 config: static
// keys when given, else the SDK's default chain (environment, web identity
// / IRSA, container and instance roles); on top of either an assumed role;
// or, with an OIDC token, AssumeRoleWithWebIdentity. Role credentials are
// cached and refreshed before they expire. AWS_ENDPOINT_URL_ECR, _STS and
// _ECR_PUBLIC are honoured by the SDK itself.
func NewClients(ctx context.Context, p *settings.Plan) (*Clients, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(p.Region)}
	if p.AccessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(p.AccessKey.Reveal(), p.SecretKey.Reveal(), p.SessionToken.Reveal())))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS config: %w", err)
	}
	if cfg.RetryMaxAttempts == 0 {
		cfg.RetryMaxAttempts = awsMaxAttempts
	}
	if cfg.RetryMode == "" {
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = awsRetryMaxBackoff })
		}
	}

	base := cfg.Copy() // the credentials under any role, for the build's narrowed session
	switch a := p.AWS; {
	case a.OIDCToken != "":
		// AssumeRoleWithWebIdentity is unsigned: no other credentials needed.
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewWebIdentityRoleProvider(
			sts.NewFromConfig(cfg), a.AssumeRole, oidcToken(a.OIDCToken),
			func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = a.RoleSessionName }))
	case a.AssumeRole != "":
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(
			sts.NewFromConfig(cfg), a.AssumeRole,
			func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = a.RoleSessionName
				if a.ExternalID != "" {
					o.ExternalID = aws.String(a.ExternalID.Reveal())
				}
			}))
	}

	c := &Clients{STS: sts.NewFromConfig(cfg), Credentials: cfg.Credentials, Config: cfg}
	if p.IsPublic() {
		c.Registry = publicECR{ecrpublic.NewFromConfig(cfg, func(o *ecrpublic.Options) { o.Region = settings.PublicRegion })}
	} else {
		c.Registry = privateECR{ecr.NewFromConfig(cfg)}
		c.Scoper = ecrtoken.NewScoper(base, p)
	}
	return c, nil
}

// oidcToken hands the OIDC token to the web identity provider, which asks
// for it again on every refresh.
type oidcToken redact.Secret

func (t oidcToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

// credentialMode names where the credentials come from, for the log and for
// error messages; it never includes a secret.
func credentialMode(p *settings.Plan) string {
	base := "the default credential chain"
	if p.AccessKey != "" {
		base = "static keys (PLUGIN_ACCESS_KEY)"
		if p.SessionToken != "" {
			base = "temporary static keys (PLUGIN_ACCESS_KEY, PLUGIN_SESSION_TOKEN)"
		}
	}
	switch a := p.AWS; {
	case a.OIDCToken != "":
		return "web identity: AssumeRoleWithWebIdentity of " + a.AssumeRole + " with PLUGIN_OIDC_TOKEN_ID"
	case a.AssumeRole != "":
		ext := ""
		if a.ExternalID != "" {
			ext = " with PLUGIN_EXTERNAL_ID"
		}
		return "assume role " + a.AssumeRole + ext + " on top of " + base
	}
	return base
}

// awsCallError is a failed AWS call with the AWS error code and what to
// check, so a user can act on it without reading SDK internals.
type awsCallError struct {
	Doing string // "getting an ECR authorization token"
	Code  string // AWS error code, empty when the call got no answer
	Hint  string
	Err   error
}

func (e *awsCallError) Error() string {
	var b strings.Builder
	b.WriteString(e.Doing)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *awsCallError) Unwrap() error { return e.Err }

// callKind says what a failed call was for, to pick advice.
type callKind int

const (
	callCredentials callKind = iota // signing in: the chain, AssumeRole*
	callToken                       // GetAuthorizationToken
	callRepository                  // repository management
)

// explain wraps err from an AWS call with its code and what to check.
func explain(p *settings.Plan, kind callKind, doing string, err error) error {
	code := apiCode(err)
	return &awsCallError{Doing: doing, Code: code, Hint: hint(p, kind, code, err), Err: err}
}

func hint(p *settings.Plan, kind callKind, code string, err error) string {
	mode := credentialMode(p)
	switch code {
	case "UnrecognizedClientException", "InvalidClientTokenId":
		return "AWS does not know the access key id of " + mode + ": check it, and that it belongs to this partition"
	case "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature":
		return "the secret key does not match the access key id: check PLUGIN_SECRET_KEY, or the chain's secret key"
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
		if p.AWS.OIDCToken != "" {
			return "PLUGIN_OIDC_TOKEN_ID has expired: pass a fresh token"
		}
		return "the temporary credentials have expired: renew them (PLUGIN_SESSION_TOKEN with its keys), and check the clock"
	case "InvalidIdentityToken", "IDPRejectedClaim", "IDPCommunicationError", "InvalidIdentityTokenException":
		return "STS rejected PLUGIN_OIDC_TOKEN_ID: check that the role trusts the token's issuer (an IAM OIDC identity provider) and audience, and that the token is current"
	case "RegionDisabledException":
		return "STS is not activated in " + p.Region + " for this account: activate it, or set PLUGIN_REGION to a region where it is"
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded":
		return fmt.Sprintf("AWS kept throttling after %d attempts: retry later, or lower the number of parallel builds", awsMaxAttempts)
	case "AccessDenied", "AccessDeniedException":
		switch kind {
		case callCredentials:
			if p.AWS.OIDCToken != "" {
				return "check the trust policy of " + p.AWS.AssumeRole + ": it must allow sts:AssumeRoleWithWebIdentity for this token's issuer, audience and subject"
			}
			ext := ", and whether it wants PLUGIN_EXTERNAL_ID"
			if p.AWS.ExternalID != "" {
				ext = ", with this PLUGIN_EXTERNAL_ID"
			}
			return "check the trust policy of " + p.AWS.AssumeRole + ": it must allow sts:AssumeRole by the credentials underneath (" + mode + ")" + ext
		case callToken:
			return "the identity may not call ecr:GetAuthorizationToken: check the IAM policy of " + mode
		default:
			return "the identity lacks an ECR permission on the repository: check the IAM policy of " + mode + " and the repository policy"
		}
	case "":
		if kind == callCredentials && p.AWS.AssumeRole == "" && p.AccessKey == "" && !errors.Is(err, context.Canceled) {
			return "no usable credentials in the default chain: set PLUGIN_ACCESS_KEY and PLUGIN_SECRET_KEY, or give the build an IAM role (IRSA: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE; or a container or instance role)"
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return "AWS did not answer in time: check the network path to the AWS endpoints (proxy, VPC endpoints)"
		}
	}
	return ""
}

// tokenRefresh: a token older than tokenMaxAge, or valid for less than
// tokenMinValidity, is replaced before the push.
const (
	tokenMaxAge      = 5 * time.Minute
	tokenMinValidity = 15 * time.Minute
	// checksTimeout bounds everything before the build; each call also
	// has the SDK's bounded retries.
	checksTimeout = 3 * time.Minute
)
