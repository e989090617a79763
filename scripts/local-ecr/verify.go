package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// verify reads every reference back from the registry, the way a user
// would: a token from ECR's API (the local one, through
// AWS_ENDPOINT_URL_ECR), then go-containerregistry. It prints the digest
// when all references name the same image and that image can be read whole.
func verify(refs []string) error {
	if len(refs) == 0 {
		return errors.New("usage: local-ecr verify REF [REF ...]")
	}
	auth, err := localecr.ECRAuth(context.Background())
	if err != nil {
		return err
	}
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
	opts := []remote.Option{remote.WithAuth(auth), remote.WithTransport(tr)}

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
