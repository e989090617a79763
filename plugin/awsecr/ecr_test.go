package awsecr

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"

	"github.com/aws/smithy-go"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// The real SDK client, pointed at the local ECR API through
// AWS_ENDPOINT_URL_ECR, signs with the static keys and decodes the token.
func TestTokenFromLocalECREndpointWithTheRealSDK(t *testing.T) {
	api := localecr.NewAPI(nil)
	srv := httptest.NewServer(api)
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")

	clients, err := NewClients(context.Background(), &settings.Plan{Region: "eu-west-1", AccessKey: "AKIASTATIC", SecretKey: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := clients.Registry.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.User != "AWS" || tok.Password != "not-a-registry" || tok.ExpiresAt.IsZero() {
		t.Errorf("token %+v", tok)
	}
	calls := api.Calls()
	if len(calls) != 1 || calls[0].Op != "GetAuthorizationToken" || calls[0].AccessKey != "AKIASTATIC" {
		t.Errorf("calls %+v", calls)
	}
}

func TestAccessDeniedFromECRIsAnAPIError(t *testing.T) {
	api := localecr.NewAPI(nil)
	api.Inject(localecr.Fault{Op: "GetAuthorizationToken", Code: "AccessDeniedException", Message: "not allowed", Times: 1})
	srv := httptest.NewServer(api)
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
	clients, err := NewClients(context.Background(), &settings.Plan{Region: "eu-west-1", AccessKey: "AKIA", SecretKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = clients.Registry.Token(context.Background())
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("err = %v, want an AccessDeniedException", err)
	}
}
