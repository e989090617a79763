package awsinput

import (
	"strings"
	"testing"
)

func TestRoleSessionNameIsValidForSTS(t *testing.T) {
	for in, want := range map[string]string{"": "kaniko-ecr", "17": "kaniko-ecr-17", "1 2;3": "kaniko-ecr-123", strings.Repeat("9", 80): "kaniko-ecr-" + strings.Repeat("9", 53)} {
		if got := RoleSessionName(in); got != want {
			t.Errorf("RoleSessionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOnlyWellFormedValuesPass(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   func(string) bool
		good []string
		bad  []string
	}{
		{"role ARN", RoleARN, []string{"arn:aws:iam::123456789012:role/ci-push", "arn:aws-cn:iam::123456789012:role/path/to/ci"}, []string{"role", "arn:aws:iam::1234:role/x", "arn:aws:iam::123456789012:user/x"}},
		{"external id", ExternalID, []string{"ab", "id:with/any+chars=,.@-_"}, []string{"a", "has space", strings.Repeat("x", 1225)}},
		{"JWT", LooksLikeJWT, []string{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}, []string{"x", "a.b", "a.b.c.d", "a.b$.c"}},
	} {
		for _, v := range tc.good {
			if !tc.ok(v) {
				t.Errorf("%s: %q refused", tc.name, v)
			}
		}
		for _, v := range tc.bad {
			if tc.ok(v) {
				t.Errorf("%s: %q accepted", tc.name, v)
			}
		}
	}
}

func TestReadPolicyCompactsJSONObjectsWithinTheLimit(t *testing.T) {
	raw, err := ReadPolicy(t.TempDir(), `{ "Version" : "2012-10-17" }`, 100)
	if err != nil || string(raw) != `{"Version":"2012-10-17"}` {
		t.Errorf("ReadPolicy = %s, %v", raw, err)
	}
	for v, want := range map[string]string{"{not json}": "is not a JSON object", `{"a":"` + strings.Repeat("x", 100) + `"}`: "ECR takes at most 100", "missing.json": "reading \"missing.json\""} {
		if _, err := ReadPolicy(t.TempDir(), v, 100); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadPolicy(%.20q) error %v, want %q", v, err, want)
		}
	}
}
