package plugin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// ecrAPI is the part of the ECR client the plugin uses; *ecr.Client
// satisfies it unchanged.
type ecrAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, optFns ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// registryToken is a decoded ECR authorization token.
type registryToken struct {
	User, Password string
	Endpoint       string // ProxyEndpoint without its scheme
	ExpiresAt      time.Time
}

var errNoToken = errors.New("ECR returned no authorization data")

// getRegistryToken asks ECR for a token and decodes it.
func getRegistryToken(ctx context.Context, api ecrAPI) (registryToken, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return registryToken{}, err
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return registryToken{}, errNoToken
	}
	d := out.AuthorizationData[0]
	return decodeToken(*d.AuthorizationToken, d.ProxyEndpoint, d.ExpiresAt)
}

// decodeToken decodes a base64 user:password token of ECR or ECR Public.
func decodeToken(token string, proxyEndpoint *string, expiresAt *time.Time) (registryToken, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return registryToken{}, fmt.Errorf("decoding ECR authorization token: not base64")
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return registryToken{}, fmt.Errorf("decoding ECR authorization token: want user:password")
	}
	t := registryToken{User: user, Password: pass}
	if proxyEndpoint != nil {
		t.Endpoint = strings.TrimPrefix(strings.TrimPrefix(*proxyEndpoint, "https://"), "http://")
	}
	if expiresAt != nil {
		t.ExpiresAt = *expiresAt
	}
	return t, nil
}
