package localecr

import (
	"context"
	"net/http/httptest"
	"testing"
)

func TestECRAuthGetsTheTokenThroughTheSDKsEndpointOverride(t *testing.T) {
	srv := httptest.NewServer(NewAPI(nil))
	defer srv.Close()
	t.Setenv("AWS_ENDPOINT_URL_ECR", srv.URL)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIALOCAL")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local-secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	auth, err := ECRAuth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ac, err := auth.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	if ac.Username != "AWS" || ac.Password != "not-a-registry" {
		t.Errorf("got %s:%s, want the stand-in's AWS:not-a-registry", ac.Username, ac.Password)
	}
}
