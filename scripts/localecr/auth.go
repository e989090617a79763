package localecr

import (
	"context"
	"errors"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
)

// ECRAuth asks ECR for a registry token with the SDK's default credential
// chain and region (AWS_ENDPOINT_URL_ECR is honoured, as in the plugin, so
// this stand-in answers when it is set) and returns it as basic auth: how
// the tools under scripts/ sign in to a registry they read or seed.
func ECRAuth(ctx context.Context) (authn.Authenticator, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading AWS config: %w", err)
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("getting ECR authorization token: %w", err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, errors.New("getting ECR authorization token: ECR returned none")
	}
	user, pass, err := docker.DecodeAuth(*out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return nil, fmt.Errorf("decoding ECR authorization token: %w", err)
	}
	return &authn.Basic{Username: user, Password: pass}, nil
}
