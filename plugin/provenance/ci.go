package provenance

import (
	"net/url"
	"strings"
)

// ciInvocation is the CI run as its environment describes it: Harness CI
// (which also sets Drone's names for plugins) or Drone.
type ciInvocation struct {
	id     string // the build's URL, else its id
	repo   string // the repository's clone URL
	commit string
	fields map[string]any // for the internal parameters
}

// ciVariables are read in order; the first set wins for each field.
var ciVariables = []struct {
	field string
	names []string
}{
	{"buildUrl", []string{"CI_BUILD_LINK", "DRONE_BUILD_LINK", "HARNESS_BUILD_LINK"}},
	{"repository", []string{"DRONE_GIT_HTTP_URL", "DRONE_REMOTE_URL", "CI_REPO_REMOTE", "DRONE_REPO_LINK"}},
	{"commit", []string{"DRONE_COMMIT_SHA", "CI_COMMIT_SHA", "DRONE_COMMIT"}},
	{"ref", []string{"DRONE_COMMIT_REF", "CI_COMMIT_REF"}},
	{"buildNumber", []string{"DRONE_BUILD_NUMBER", "CI_BUILD_NUMBER"}},
	{"harnessAccountId", []string{"HARNESS_ACCOUNT_ID"}},
	{"harnessOrgId", []string{"HARNESS_ORG_ID"}},
	{"harnessProjectId", []string{"HARNESS_PROJECT_ID"}},
	{"harnessPipelineId", []string{"HARNESS_PIPELINE_ID"}},
	{"harnessExecutionId", []string{"HARNESS_EXECUTION_ID"}},
	{"harnessBuildId", []string{"HARNESS_BUILD_ID"}},
	{"harnessStageId", []string{"HARNESS_STAGE_ID"}},
	{"harnessStepId", []string{"HARNESS_STEP_ID"}},
}

func invocation(env func(string) (string, bool)) ciInvocation {
	inv := ciInvocation{fields: map[string]any{}}
	if env == nil {
		return inv
	}
	for _, v := range ciVariables {
		for _, n := range v.names {
			if val, ok := env(n); ok && strings.TrimSpace(val) != "" {
				inv.fields[v.field] = withoutUserinfo(strings.TrimSpace(val))
				break
			}
		}
	}
	str := func(k string) string { s, _ := inv.fields[k].(string); return s }
	switch {
	case str("harnessAccountId") != "" || str("harnessPipelineId") != "":
		inv.fields["system"] = "harness"
	case isSet(env, "DRONE"):
		inv.fields["system"] = "drone"
	}
	inv.repo, inv.commit = str("repository"), str("commit")
	inv.id = str("buildUrl")
	if inv.id == "" {
		inv.id = str("harnessExecutionId")
	}
	if inv.id == "" {
		inv.id = str("buildNumber")
	}
	return inv
}

func isSet(env func(string) (string, bool), k string) bool {
	v, ok := env(k)
	return ok && v != ""
}

// withoutUserinfo drops the user and password a clone URL may carry: a
// token in DRONE_REMOTE_URL must not reach the statement.
func withoutUserinfo(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}
