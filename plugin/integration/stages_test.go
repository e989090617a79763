package integration

import (
	"strings"
	"testing"
)

// Like BuildKit, only the stages the target needs are built (and checked);
// PLUGIN_SKIP_UNUSED_STAGES=false gives kaniko's old behaviour, which
// builds and checks every stage. Each Dockerfile has a side stage that
// fails when built; kaniko's own --skip-unused-stages would build it in
// the second case (the last stage names no other) and drop the unnamed
// stage the third copies from by index.
func TestOnlyTheStagesTheTargetNeedsAreBuiltUnlessSkipUnusedStagesIsFalse(t *testing.T) {
	for _, tc := range []struct {
		name, dockerfile, file, content string
		allStages                       int // exit status with PLUGIN_SKIP_UNUSED_STAGES=false
	}{
		{"a side stage with a foreign platform",
			"ARG BASE\nFROM --platform=linux/s390x ${BASE} AS lint\nRUN exit 3\nFROM ${BASE} AS build\nRUN echo built > /built\nFROM ${BASE}\nCOPY --from=build /built /built\n",
			"built", "built\n", 2},
		{"a last stage that names no other",
			"ARG BASE\nFROM ${BASE} AS lint\nRUN exit 3\nFROM ${BASE}\nRUN echo alone > /alone\n",
			"alone", "alone\n", 1},
		{"an unnamed stage copied by index",
			"ARG BASE\nFROM ${BASE}\nRUN echo zero > /zero\nFROM ${BASE} AS test\nRUN exit 3\nFROM ${BASE}\nCOPY --from=0 /zero /zero\n",
			"zero", "zero\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := "it/stages-" + strings.ReplaceAll(tc.name, " ", "-")
			addRepos(repo)
			ws := writeFiles(t, map[string]string{"Dockerfile": tc.dockerfile})
			env := map[string]string{"PLUGIN_REPO": repo, "PLUGIN_BUILD_ARGS": "BASE=" + baseImage}
			r := runPlugin(t, ws, env)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if _, files := pulled(t, stack.Registry.Addr+"/"+repo+":latest"); files[tc.file] != tc.content {
				t.Errorf("/%s = %q, want %q", tc.file, files[tc.file], tc.content)
			}
			env["PLUGIN_SKIP_UNUSED_STAGES"] = "false"
			if r = runPlugin(t, ws, env); r.code != tc.allStages {
				t.Fatalf("with every stage: exit %d, want %d\n%s", r.code, tc.allStages, r.stderr)
			}
		})
	}
}
