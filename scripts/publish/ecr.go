package publish

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
)

// ECRAuth asks ECR for a registry token with the SDK's default credential
// chain (AWS_ENDPOINT_URL_ECR is honoured, as in the plugin) and returns it
// as basic auth. An empty region leaves the choice to the SDK (AWS_REGION).
func ECRAuth(ctx context.Context, region string) (authn.Authenticator, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
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

// RegionOf returns the region in an ECR registry host
// (<account>.dkr.ecr.<region>.amazonaws.com), or "".
func RegionOf(host string) string {
	parts := strings.Split(host, ".")
	if len(parts) >= 6 && parts[1] == "dkr" && parts[2] == "ecr" {
		return parts[3]
	}
	return ""
}
