// Package awsinput checks and reads the values of the AWS connector's
// settings: role ARNs, external ids, web identity tokens, session names and
// repository policies. It is a pure helper of package settings.
package awsinput

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// ECR's limits on policy text.
const (
	MaxLifecyclePolicy  = 30720
	MaxRepositoryPolicy = 10240
)

var (
	roleARNRE     = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/(?:[\x21-\x7e]*/)?[\w+=,.@-]{1,64}$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	jwtPartRE     = regexp.MustCompile(`^[A-Za-z0-9_-]+={0,2}$`)
	sessionCharRE = regexp.MustCompile(`[^\w+=,.@-]`)
)

// RoleARN reports whether s is an IAM role ARN.
func RoleARN(s string) bool { return roleARNRE.MatchString(s) }

// ExternalID reports whether s is a valid STS external id: 2 to 1224
// letters, digits and + = , . @ : / - _.
func ExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDRE.MatchString(s)
}

// LooksLikeJWT checks the shape of a compact JWS, without decoding it.
func LooksLikeJWT(tok string) bool {
	if len(tok) < 4 || len(tok) > 20000 {
		return false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	for _, part := range parts {
		if !jwtPartRE.MatchString(part) {
			return false
		}
	}
	return true
}

// RoleSessionName names the STS session after the build, so CloudTrail
// shows which build pushed.
func RoleSessionName(build string) string {
	name := "kaniko-ecr"
	if build = sessionCharRE.ReplaceAllString(build, ""); build != "" {
		name += "-" + build
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// ReadPolicy reads a policy given as a file (relative to the workspace) or
// as the JSON itself, checks that it is a JSON object within ECR's limit,
// and returns it compacted.
func ReadPolicy(dir, v string, limit int) (json.RawMessage, error) {
	raw := []byte(v)
	if !strings.HasPrefix(v, "{") {
		path := v
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading %q: %v", v, err)
		}
		defer f.Close()
		// Far above ECR's limits: no reason to read a huge file whole.
		raw, err = io.ReadAll(io.LimitReader(f, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("reading %q: %v", v, err)
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("%q is not a JSON object: %v", shorten(v), err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("%q is not valid JSON: %v", shorten(v), err)
	}
	if buf.Len() > limit {
		return nil, fmt.Errorf("%q is %d bytes of JSON; ECR takes at most %d", shorten(v), buf.Len(), limit)
	}
	return json.RawMessage(buf.Bytes()), nil
}

// shorten keeps an inline policy from flooding the report.
func shorten(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
