package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// verify reads every reference back from the registry, the way a user
// would: a token from ECR's API (the local one, through
// AWS_ENDPOINT_URL_ECR), then go-containerregistry. It prints the digest
// when all references name the same image and that image can be read whole.
func verify(refs []string) error {
	if len(refs) == 0 {
		return fmt.Errorf("usage: local-ecr verify REF...")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("loading AWS config: %w", err)
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return fmt.Errorf("getting ECR token: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(*out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return err
	}
	user, pass, _ := strings.Cut(string(raw), ":")
	pool, err := x509.SystemCertPool()
	if err != nil {
		return err
	}
	if ca := os.Getenv("LOCAL_ECR_CA"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return err
		}
		pool.AppendCertsFromPEM(pem)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	opts := []remote.Option{remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})), remote.WithTransport(tr)}

	var digest string
	for _, r := range refs {
		ref, err := name.ParseReference(r)
		if err != nil {
			return err
		}
		img, err := remote.Image(ref, opts...)
		if err != nil {
			return fmt.Errorf("reading %s: %w", r, err)
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		layers, err := img.Layers()
		if err != nil {
			return err
		}
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				return fmt.Errorf("reading a layer of %s: %w", r, err)
			}
			rc.Close()
		}
		if digest != "" && d.String() != digest {
			return fmt.Errorf("%s is %s, but %s is %s", refs[0], digest, r, d)
		}
		digest = d.String()
		fmt.Fprintf(os.Stderr, "verified %s: %s, %d layers\n", r, d, len(layers))
	}
	fmt.Println(digest)
	return nil
}
