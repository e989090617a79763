package integration

import (
	"strings"
	"testing"
)

// sideStages has a lint stage the target never needs: it fails when built,
// and asks for a platform kaniko cannot honour.
const sideStages = "ARG BASE\nFROM --platform=linux/s390x ${BASE} AS lint\nRUN exit 3\n" +
	"FROM ${BASE} AS build\nRUN echo built > /built\n" +
	"FROM ${BASE}\nCOPY --from=build /built /built\n"

// Like BuildKit, only the stages the target needs are built (and checked);
// PLUGIN_SKIP_UNUSED_STAGES=false gives kaniko's old behaviour, which
// builds and checks every stage.
func TestOnlyTheStagesTheTargetNeedsAreBuiltUnlessSkipUnusedStagesIsFalse(t *testing.T) {
	addRepos("it/stages")
	ws := writeFiles(t, map[string]string{"Dockerfile": sideStages})
	env := map[string]string{"PLUGIN_REPO": "it/stages", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage}
	r := runPlugin(t, ws, env)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, files := pulled(t, stack.Registry.Addr+"/it/stages:latest"); files["built"] != "built\n" {
		t.Errorf("/built = %q", files["built"])
	}
	if strings.Contains(r.stderr, "exit 3") {
		t.Errorf("the unused lint stage ran:\n%s", r.stderr)
	}

	env["PLUGIN_SKIP_UNUSED_STAGES"] = "false"
	r = runPlugin(t, ws, env)
	if r.code != 2 || !strings.Contains(r.stderr, "Dockerfile:2: FROM --platform=linux/s390x") {
		t.Fatalf("with every stage: exit %d, want 2 naming the lint stage's platform\n%s", r.code, r.stderr)
	}
}
