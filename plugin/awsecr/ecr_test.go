package awsecr

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

type fakeECR struct {
	getAuthorizationToken func(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

var _ ecrAPI = fakeECR{}

func (f fakeECR) GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, o ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
	return f.getAuthorizationToken(ctx, in, o...)
}

func tokenOut(tok string) fakeECR {
	return fakeECR{getAuthorizationToken: func(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
		return &ecr.GetAuthorizationTokenOutput{AuthorizationData: []types.AuthorizationData{{
			AuthorizationToken: aws.String(tok), ProxyEndpoint: aws.String("https://1.dkr.ecr.us-east-1.amazonaws.com"),
		}}}, nil
	}}
}

func TestGetRegistryTokenRejectsMalformedTokens(t *testing.T) {
	for _, tc := range []struct {
		name    string
		api     ecrAPI
		wantErr string
	}{
		{"not base64", tokenOut("%%%"), "not base64"},
		{"no colon", tokenOut(base64.StdEncoding.EncodeToString([]byte("AWS"))), "want user:password"},
		{"empty password", tokenOut(base64.StdEncoding.EncodeToString([]byte("AWS:"))), "want user:password"},
		{"no data", fakeECR{getAuthorizationToken: func(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error) {
			return &ecr.GetAuthorizationTokenOutput{}, nil
		}}, "no authorization data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := getRegistryToken(context.Background(), tc.api)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	tok, err := getRegistryToken(context.Background(), tokenOut(base64.StdEncoding.EncodeToString([]byte("AWS:pa:ss"))))
	if err != nil || tok.User != "AWS" || tok.Password != "pa:ss" || tok.Endpoint != "1.dkr.ecr.us-east-1.amazonaws.com" {
		t.Fatalf("got %+v, %v", tok, err)
	}
}

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
