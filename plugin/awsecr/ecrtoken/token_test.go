package ecrtoken

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

type fakeECR struct {
	getAuthorizationToken func(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

var _ API = fakeECR{}

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

func TestGetRejectsMalformedTokensAndDecodesAGoodOne(t *testing.T) {
	for _, tc := range []struct {
		name    string
		api     API
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
			_, err := Get(context.Background(), tc.api)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	tok, err := Get(context.Background(), tokenOut(base64.StdEncoding.EncodeToString([]byte("AWS:pa:ss"))))
	if err != nil || tok.User != "AWS" || tok.Password != "pa:ss" || tok.Endpoint != "1.dkr.ecr.us-east-1.amazonaws.com" {
		t.Fatalf("got %+v, %v", tok, err)
	}
}
