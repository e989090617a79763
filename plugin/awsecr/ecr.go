package awsecr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
)

// ecrAPI is the part of the ECR client the plugin uses; *ecr.Client
// satisfies it unchanged.
type ecrAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// Token is a decoded ECR authorization token.
type Token struct {
	User, Password string
	Endpoint       string // ProxyEndpoint without its scheme
	ExpiresAt      time.Time
}

var errNoToken = errors.New("ECR returned no authorization data")

// getRegistryToken asks ECR for a token and decodes it.
func getRegistryToken(ctx context.Context, api ecrAPI) (Token, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Token{}, err
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return Token{}, errNoToken
	}
	d := out.AuthorizationData[0]
	return decodeToken(*d.AuthorizationToken, d.ProxyEndpoint, d.ExpiresAt)
}

// decodeToken decodes a base64 user:password token of ECR or ECR Public.
func decodeToken(token string, proxyEndpoint *string, expiresAt *time.Time) (Token, error) {
	user, pass, err := docker.DecodeAuth(token)
	if err != nil {
		return Token{}, fmt.Errorf("decoding ECR authorization token: %w", err)
	}
	t := Token{User: user, Password: pass}
	if proxyEndpoint != nil {
		t.Endpoint = strings.TrimPrefix(strings.TrimPrefix(*proxyEndpoint, "https://"), "http://")
	}
	if expiresAt != nil {
		t.ExpiresAt = *expiresAt
	}
	return t, nil
}
