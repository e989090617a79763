// Package ecrtoken gets ECR registry tokens: the run's own, decoded from
// GetAuthorizationToken, and the build's, from a session narrowed by a
// session policy (Scoper), so a RUN step that steals it cannot push.
package ecrtoken

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
)

// API is the part of the ECR client a token needs; *ecr.Client
// satisfies it unchanged.
type API interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// Token is a decoded ECR authorization token.
type Token struct {
	User, Password string
	Endpoint       string // ProxyEndpoint without its scheme
	ExpiresAt      time.Time
}

// ErrNone is ECR answering without a token.
var ErrNone = errors.New("ECR returned no authorization data")

// Get asks ECR for a token and decodes it.
func Get(ctx context.Context, api API) (Token, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return Token{}, err
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return Token{}, ErrNone
	}
	d := out.AuthorizationData[0]
	return Decode(*d.AuthorizationToken, d.ProxyEndpoint, d.ExpiresAt)
}

// Decode decodes a base64 user:password token of ECR or ECR Public.
func Decode(token string, proxyEndpoint *string, expiresAt *time.Time) (Token, error) {
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
