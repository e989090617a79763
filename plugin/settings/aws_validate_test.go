package settings

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/awsinput"
)

// A JWT shape for tests: header.payload.signature, not a real token.
const testJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOnRlYW0vYXBwIn0.c2lnbmF0dXJl"

func writePolicy(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateResolvesTheAWSPlan(t *testing.T) {
	dir := workspace(t)
	writePolicy(t, dir, "ci/lifecycle.json", "{\n  \"rules\": []\n}\n")
	base := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app"}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want AWSPlan
	}{
		{"nothing beyond static keys", nil, AWSPlan{}},
		{
			"assume role with external id, session named after the build",
			map[string]string{"PLUGIN_ASSUME_ROLE": "arn:aws:iam::210987654321:role/ci/push", "PLUGIN_EXTERNAL_ID": "ext-id_1", "DRONE_BUILD_NUMBER": "42"},
			AWSPlan{AssumeRole: "arn:aws:iam::210987654321:role/ci/push", ExternalID: "ext-id_1", RoleSessionName: "kaniko-ecr-42"},
		},
		{
			"Harness names: user role ARN and its external id",
			map[string]string{"PLUGIN_USER_ROLE_ARN": "arn:aws-cn:iam::210987654321:role/push", "PLUGIN_USER_ROLE_EXTERNAL_ID": "abc"},
			AWSPlan{AssumeRole: "arn:aws-cn:iam::210987654321:role/push", ExternalID: "abc", RoleSessionName: "kaniko-ecr"},
		},
		{
			"OIDC web identity",
			map[string]string{"PLUGIN_ASSUME_ROLE": "arn:aws:iam::210987654321:role/oidc", "PLUGIN_OIDC_TOKEN_ID": " " + testJWT + "\n"},
			AWSPlan{AssumeRole: "arn:aws:iam::210987654321:role/oidc", OIDCToken: testJWT, RoleSessionName: "kaniko-ecr"},
		},
		{
			"repository management with a policy file and an inline policy",
			map[string]string{
				"PLUGIN_CREATE_REPOSITORY": "yes", "PLUGIN_SCAN_ON_PUSH": "true", "PLUGIN_TAG_IMMUTABILITY": "immutable",
				"PLUGIN_LIFECYCLE_POLICY": "ci/lifecycle.json", "PLUGIN_REPOSITORY_POLICY": `{"Version": "2012-10-17", "Statement": []}`,
			},
			AWSPlan{
				CreateRepository: true, ScanOnPush: true, TagImmutability: "IMMUTABLE",
				LifecyclePolicy:  json.RawMessage(`{"rules":[]}`),
				RepositoryPolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":[]}`),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			if _, ok := env["PLUGIN_OIDC_TOKEN_ID"]; !ok {
				env["PLUGIN_ACCESS_KEY"], env["PLUGIN_SECRET_KEY"] = "AKIA", "secret"
			}
			p, err := validate(t, dir, env)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, p.AWS); d != "" {
				t.Errorf("AWS plan (-want +got):\n%s", d)
			}
		})
	}
}

func TestValidateECRPublicRegistries(t *testing.T) {
	dir := workspace(t)
	for _, tc := range []struct {
		name                       string
		env                        map[string]string
		host, image, region, cache string
	}{
		{
			"public.ecr.aws/<alias>, region defaults to us-east-1, full repo and cache URIs stripped",
			map[string]string{"PLUGIN_REGISTRY": "public.ecr.aws/my-alias", "PLUGIN_REPO": "public.ecr.aws/my-alias/tools/app", "PLUGIN_CACHE_REPO": "public.ecr.aws/my-alias/tools/cache"},
			"public.ecr.aws", "public.ecr.aws/my-alias/tools/app", "us-east-1", "public.ecr.aws/my-alias/tools/cache",
		},
		{
			"a local ECR Public endpoint takes host:port/<alias>",
			map[string]string{"PLUGIN_REGISTRY": "127.0.0.1:5000/local", "PLUGIN_REPO": "app", "AWS_ENDPOINT_URL_ECR_PUBLIC": "http://127.0.0.1:1", "PLUGIN_REGION": "eu-west-1"},
			"127.0.0.1:5000", "127.0.0.1:5000/local/app", "eu-west-1", "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := validate(t, dir, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if !p.IsPublic() || p.Host != tc.host || p.Image() != tc.image || p.Region != tc.region || p.CacheRepo != tc.cache {
				t.Errorf("public %v host %q image %q region %q cache %q", p.IsPublic(), p.Host, p.Image(), p.Region, p.CacheRepo)
			}
			if d := p.Destinations(); len(d) != 1 || d[0] != tc.image+":latest" {
				t.Errorf("destinations %q", d)
			}
		})
	}
}

func TestValidateNamesEveryAWSProblem(t *testing.T) {
	dir := workspace(t)
	writePolicy(t, dir, "array.json", `[1, 2]`)
	writePolicy(t, dir, "broken.json", `{"rules": [}`)
	writePolicy(t, dir, "big.json", `{"x": "`+strings.Repeat("a", awsinput.MaxRepositoryPolicy)+`"}`)
	const secretExt = "not valid!"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"role ARN shape", map[string]string{"PLUGIN_ASSUME_ROLE": "arn:aws:iam::1234:user/bob"}, []string{`PLUGIN_ASSUME_ROLE: "arn:aws:iam::1234:user/bob" is not an IAM role ARN`}},
		{"external id without a role", map[string]string{"PLUGIN_EXTERNAL_ID": "abc"}, []string{"PLUGIN_EXTERNAL_ID needs PLUGIN_ASSUME_ROLE"}},
		{"external id characters", map[string]string{"PLUGIN_ASSUME_ROLE": "arn:aws:iam::123456789012:role/r", "PLUGIN_EXTERNAL_ID": secretExt}, []string{"PLUGIN_EXTERNAL_ID is not a valid external id"}},
		{"OIDC without a role", map[string]string{"PLUGIN_OIDC_TOKEN_ID": testJWT}, []string{"PLUGIN_OIDC_TOKEN_ID needs PLUGIN_ASSUME_ROLE"}},
		{
			"OIDC with static keys and an external id, not a JWT",
			map[string]string{"PLUGIN_OIDC_TOKEN_ID": "Bearer abc", "PLUGIN_ASSUME_ROLE": "arn:aws:iam::123456789012:role/r", "PLUGIN_EXTERNAL_ID": "abc", "PLUGIN_ACCESS_KEY": "AKIA", "PLUGIN_SECRET_KEY": "s"},
			[]string{"PLUGIN_OIDC_TOKEN_ID and PLUGIN_ACCESS_KEY are both set", "PLUGIN_EXTERNAL_ID does not apply with PLUGIN_OIDC_TOKEN_ID", "PLUGIN_OIDC_TOKEN_ID is not a JWT"},
		},
		{"tag immutability", map[string]string{"PLUGIN_TAG_IMMUTABILITY": "sometimes"}, []string{`PLUGIN_TAG_IMMUTABILITY: "sometimes" is not MUTABLE or IMMUTABLE`}},
		{"create repository bool", map[string]string{"PLUGIN_CREATE_REPOSITORY": "please"}, []string{`PLUGIN_CREATE_REPOSITORY: "please" is not a boolean`}},
		{"missing policy file", map[string]string{"PLUGIN_LIFECYCLE_POLICY": "nope.json"}, []string{`PLUGIN_LIFECYCLE_POLICY: reading "nope.json"`}},
		{"policy not an object", map[string]string{"PLUGIN_LIFECYCLE_POLICY": "array.json"}, []string{`PLUGIN_LIFECYCLE_POLICY: "array.json" is not a JSON object`}},
		{"policy not JSON", map[string]string{"PLUGIN_REPOSITORY_POLICY": "broken.json"}, []string{`PLUGIN_REPOSITORY_POLICY: "broken.json" is not a JSON object`}},
		{"policy too big", map[string]string{"PLUGIN_REPOSITORY_POLICY": "big.json"}, []string{`PLUGIN_REPOSITORY_POLICY: "big.json" is 10248 bytes of JSON; ECR takes at most 10240`}},
		{"public registry without alias", map[string]string{"PLUGIN_REGISTRY": "public.ecr.aws"}, []string{`PLUGIN_REGISTRY: "public.ecr.aws" lacks the registry alias`}},
		{"public registry alias", map[string]string{"PLUGIN_REGISTRY": "public.ecr.aws/My_Alias"}, []string{`PLUGIN_REGISTRY: "My_Alias" is not an ECR Public registry alias`}},
		{
			"what ECR Public lacks",
			map[string]string{"PLUGIN_REGISTRY": "public.ecr.aws/alias", "PLUGIN_TAG_IMMUTABILITY": "IMMUTABLE", "PLUGIN_SCAN_ON_PUSH": "1", "PLUGIN_LIFECYCLE_POLICY": `{"rules":[]}`},
			[]string{"PLUGIN_TAG_IMMUTABILITY: ECR Public", "PLUGIN_SCAN_ON_PUSH: ECR Public", "PLUGIN_LIFECYCLE_POLICY: ECR Public"},
		},
		{"host/alias without the ECR Public endpoint", map[string]string{"PLUGIN_REGISTRY": "127.0.0.1:5000/alias", "AWS_ENDPOINT_URL_ECR": "http://127.0.0.1:1"}, []string{`PLUGIN_REGISTRY: "127.0.0.1:5000/alias" is not a registry host`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app"}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := validate(t, dir, env)
			wantProblems(t, err, tc.want)
			for _, secret := range []string{testJWT, "Bearer abc", secretExt} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the report shows a secret value %q", secret)
				}
			}
		})
	}
}

func TestAllAWSProblemsAreReportedTogether(t *testing.T) {
	dir := workspace(t)
	_, err := validate(t, dir, map[string]string{
		"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
		"PLUGIN_ASSUME_ROLE": "role", "PLUGIN_OIDC_TOKEN_ID": "x", "PLUGIN_TAG_IMMUTABILITY": "x",
		"PLUGIN_LIFECYCLE_POLICY": "missing.json", "PLUGIN_REPOSITORY_POLICY": "{",
	})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 5 {
		t.Fatalf("want 5 problems at once, got %v", err)
	}
}
