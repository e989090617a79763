package localecr

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func sdkConfig(key string) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "")}
}

// The real ECR Public client understands the stand-in: tokens, typed
// errors, repositories kept apart from the private ones.
func TestECRPublicSpeaksTheSDKProtocol(t *testing.T) {
	a := NewAPI(nil)
	srv := httptest.NewServer(a)
	defer srv.Close()
	c := ecrpublic.NewFromConfig(sdkConfig("AKIAPUBLIC"), func(o *ecrpublic.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	ctx := context.Background()

	tok, err := c.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(tok.AuthorizationData.AuthorizationToken))
	if string(raw) != "AWS:not-a-registry" || tok.AuthorizationData.ExpiresAt == nil {
		t.Errorf("token %q, expires %v", raw, tok.AuthorizationData.ExpiresAt)
	}
	_, err = c.DescribeRepositories(ctx, &ecrpublic.DescribeRepositoriesInput{RepositoryNames: []string{"app"}})
	var nf *types.RepositoryNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want RepositoryNotFoundException", err)
	}
	if _, err := c.CreateRepository(ctx, &ecrpublic.CreateRepositoryInput{RepositoryName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateRepository(ctx, &ecrpublic.CreateRepositoryInput{RepositoryName: aws.String("app")})
	var exists *types.RepositoryAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Fatalf("err = %v, want RepositoryAlreadyExistsException", err)
	}
	if _, err := c.SetRepositoryPolicy(ctx, &ecrpublic.SetRepositoryPolicyInput{RepositoryName: aws.String("app"), PolicyText: aws.String("{}")}); err != nil {
		t.Fatal(err)
	}
	if r, ok := a.PublicRepository("app"); !ok || r.RepositoryPolicy != "{}" {
		t.Errorf("public repository %+v", r)
	}
	if _, ok := a.Repository("app"); ok {
		t.Error("an ECR Public repository appeared in private ECR")
	}
	for _, call := range a.Calls() {
		if call.Service != ServiceECRPublic || call.AccessKey != "AKIAPUBLIC" {
			t.Errorf("call %+v", call)
		}
	}
}

func TestFaultsMatchServiceAndBody(t *testing.T) {
	a := NewAPI(nil)
	srv := httptest.NewServer(a)
	defer srv.Close()
	c := ecrpublic.NewFromConfig(sdkConfig("AKIA"), func(o *ecrpublic.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	a.Inject(Fault{Op: "CreateRepository", Service: ServiceECR, Code: "AccessDeniedException", Times: 1})
	a.Inject(Fault{Op: "CreateRepository", Match: `"other"`, Code: "AccessDeniedException", Times: 1})
	if _, err := c.CreateRepository(context.Background(), &ecrpublic.CreateRepositoryInput{RepositoryName: aws.String("app")}); err != nil {
		t.Errorf("a fault for another service or body hit: %v", err)
	}
	if _, err := c.CreateRepository(context.Background(), &ecrpublic.CreateRepositoryInput{RepositoryName: aws.String("other")}); err == nil {
		t.Error("the fault for body \"other\" did not hit")
	}
}

func TestCallerIdentityFollowsTheSigningKey(t *testing.T) {
	a := NewAPI(nil)
	srv := httptest.NewServer(a)
	defer srv.Close()
	for key, want := range map[string]string{
		"AKIAUSER":      "arn:aws:iam::" + AccountID + ":user/local",
		"ROLEASIALOCAL": "arn:aws:sts::" + AccountID + ":assumed-role/local/session",
		"WEBASIALOCAL":  "arn:aws:sts::" + AccountID + ":assumed-role/local/web",
	} {
		c := sts.NewFromConfig(sdkConfig(key), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
		out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Arn) != want {
			t.Errorf("%s: %s, want %s", key, aws.ToString(out.Arn), want)
		}
	}
}
