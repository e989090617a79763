package awsecr

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// Where the credential mode takes a session policy, the build's token comes
// from a narrowed session (the stand-in gives such sessions a SCOPED access
// key); the push then gets a token of its own, from the run's credentials.
// Where it does not, the build gets the run's token and the log says what a
// RUN step could do with it.
func TestBuildTokenComesFromANarrowedSessionWhereTheModeAllows(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/ci-push"
	for _, tc := range []struct {
		name   string
		env    map[string]string
		plan   func(p *settings.Plan)
		action string // the STS call with the policy; "" none
		signer string // who signs the push's GetAuthorizationToken
	}{
		{"IAM user keys: GetFederationToken", nil, nil, "GetFederationToken", "AKIASTATIC"},
		{"assume role", nil, func(p *settings.Plan) { p.AWS.AssumeRole, p.AWS.RoleSessionName = role, "kaniko-ecr-7" }, "AssumeRole", "ROLEASIALOCAL"},
		{"OIDC", nil, func(p *settings.Plan) {
			p.AccessKey, p.SecretKey, p.AWS.AssumeRole, p.AWS.OIDCToken, p.AWS.RoleSessionName = "", "", role, testJWT, "kaniko-ecr"
		}, "AssumeRoleWithWebIdentity", "WEBASIALOCAL"},
		{"IRSA", map[string]string{"AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": "<token file>"}, func(p *settings.Plan) { p.AccessKey, p.SecretKey = "", "" }, "AssumeRoleWithWebIdentity", "WEBASIALOCAL"},
		{"temporary keys: no scoping", nil, func(p *settings.Plan) { p.SessionToken = "static-session" }, "", "AKIASTATIC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := standIn(t)
			api.AddRepository(localecr.Repository{Name: "team/app"})
			for k, v := range tc.env {
				if v == "<token file>" {
					v = writeTokenFile(t)
				}
				t.Setenv(k, v)
			}
			log := captureLog(t)
			p := privatePlan()
			p.Cache, p.CacheRepo = true, standInHost+"/team/app-cache"
			if tc.plan != nil {
				tc.plan(p)
			}
			s, err := checkWith(t, p)
			if err != nil {
				t.Fatalf("%v\n%s", err, log)
			}
			restore, err := s.WriteBuildConfig(context.Background(), nil, true)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := docker.Load(os.Getenv("DOCKER_CONFIG"))
			if err != nil || cfg.Auths[standInHost].Auth == "" {
				t.Fatalf("the build's docker config lacks the token: %v", err)
			}
			restore()
			pols := api.SessionPolicies()
			calls := api.Calls()
			last := calls[len(calls)-1]
			if tc.action == "" {
				if len(pols) != 0 {
					t.Errorf("a session policy was asked for: %+v", pols)
				}
				if !strings.Contains(log.String(), "it can push to every repository") {
					t.Errorf("the log does not say the build's token is unscoped:\n%s", log)
				}
			} else {
				if len(pols) != 1 || pols[0].Action != tc.action || !strings.Contains(pols[0].Policy, "repository/team/app-cache") {
					t.Fatalf("session policies %+v, want one from %s", pols, tc.action)
				}
				if last.Op != "GetAuthorizationToken" || !localecr.IsScoped(last.AccessKey) {
					t.Errorf("the build's token came from %s signed by %q, want a narrowed session", last.Op, last.AccessKey)
				}
			}
			before := len(api.Calls())
			if _, err := s.BeforePush(context.Background(), digestA); err != nil {
				t.Fatal(err)
			}
			after := api.Calls()[before:]
			fresh := tc.action != ""
			if fresh != (len(after) == 1) {
				t.Fatalf("calls before the push: %+v", after)
			}
			if fresh && (after[0].Op != "GetAuthorizationToken" || after[0].AccessKey != tc.signer) {
				t.Errorf("the push's token came from %s signed by %q, want %q", after[0].Op, after[0].AccessKey, tc.signer)
			}
			if strings.Contains(log.String(), "local-secret") || strings.Contains(log.String(), "local-session") {
				t.Error("the narrowed session's secrets reached the log")
			}
		})
	}
}
