package dockerfile

import (
	"strings"
	"testing"
)

func checkOpts() Options {
	o := testOpts()
	o.Checks = true
	return o
}

func TestBuildChecksWarnAsDockerBuildNamingFileAndLine(t *testing.T) {
	cases := []struct{ rule, src, want string }{
		{"FromAsCasing", "FROM alpine as base\nRUN ls\n",
			"Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)"},
		{"StageNameCasing", "FROM alpine AS Base\n",
			"Dockerfile:1: StageNameCasing: Stage name 'Base' should be lowercase (line 1)"},
		{"MaintainerDeprecated", "FROM alpine\nMAINTAINER me\n",
			"Dockerfile:2: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)"},
		{"NoEmptyContinuation", "FROM alpine\nRUN echo a && \\\n\n  echo b\n",
			"Dockerfile:4: NoEmptyContinuation: Empty continuation line (line 4)"},
		{"ConsistentInstructionCasing", "FROM alpine\nRUN ls\nrun ls\nCMD [\"ls\"]\n",
			"Dockerfile:3: ConsistentInstructionCasing: Command 'run' should match the case of the command majority (uppercase) (line 3)"},
		{"ReservedStageName", "FROM alpine AS scratch\n",
			"Dockerfile:1: ReservedStageName: Stage name should not use the same name as reserved stage \"scratch\" (line 1)"},
		{"DuplicateStageName", "FROM alpine AS a\nFROM alpine AS a\n",
			"Dockerfile:2: DuplicateStageName: Duplicate stage name \"a\", stage names should be unique (line 2)"},
		{"MultipleInstructionsDisallowed", "FROM alpine\nCMD [\"a\"]\nCMD [\"b\"]\n",
			"Dockerfile:2: MultipleInstructionsDisallowed: Multiple CMD instructions should not be used in the same stage because only the last one will be used (line 2)"},
		{"JSONArgsRecommended", "FROM alpine\nENTRYPOINT my-app --serve\n",
			"Dockerfile:2: JSONArgsRecommended: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals (line 2)"},
		{"LegacyKeyValueFormat", "FROM alpine\nENV A 1\n",
			"Dockerfile:2: LegacyKeyValueFormat: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format (line 2)"},
		{"ExposeProtoCasing", "FROM alpine\nEXPOSE 80/TCP\n",
			"Dockerfile:2: ExposeProtoCasing: Defined protocol '80/TCP' in EXPOSE instruction should be lowercase (line 2)"},
		{"ExposeInvalidFormat", "FROM alpine\nEXPOSE 8080:80\n",
			"Dockerfile:2: ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80' (line 2)"},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			res, probs := Analyze([]byte(c.src), checkOpts())
			if c.rule == "DuplicateStageName" {
				probs = nil // the front end refuses duplicates on its own
			}
			if len(probs) != 0 {
				t.Fatalf("problems:\n%s", messages(probs))
			}
			if !strings.Contains(messages(res.Warnings), c.want+"\n") {
				t.Errorf("warnings:\n%swant %q", messages(res.Warnings), c.want)
			}
		})
	}
}

func TestBuildChecksAreSilentOnACleanDockerfile(t *testing.T) {
	src := "FROM alpine AS base\nSHELL [\"/bin/bash\", \"-c\"]\nENV A=1\nEXPOSE 80/udp $P/TCP\nFROM base\nCMD ls\n"
	res, probs := Analyze([]byte(src), checkOpts())
	if len(probs) != 0 || len(res.Warnings) != 0 {
		t.Errorf("%s%s", messages(probs), messages(res.Warnings))
	}
}

func TestCheckDirectiveSkipsRulesAsBuildKit(t *testing.T) {
	for _, c := range []struct{ name, directive string }{
		{"one rule", "# check=skip=FromAsCasing,LegacyKeyValueFormat\n"},
		{"all", "# check=skip=all\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, probs := Analyze([]byte(c.directive+"FROM alpine as base\nENV A 1\n"), checkOpts())
			if len(probs) != 0 || len(res.Warnings) != 0 {
				t.Errorf("%s%s", messages(probs), messages(res.Warnings))
			}
		})
	}
	res, _ := Analyze([]byte("# check=skip=LegacyKeyValueFormat\nFROM alpine as base\nENV A 1\n"), checkOpts())
	if got := messages(res.Warnings); !strings.Contains(got, "FromAsCasing") || strings.Contains(got, "LegacyKeyValueFormat") {
		t.Errorf("skipping one rule kept the other:\n%s", got)
	}
}

func TestExperimentalChecksRunOnlyWhenTheDirectiveAsks(t *testing.T) {
	src := "FROM alpine\n# The a.\nARG b=1\nRUN ls\n"
	res, _ := Analyze([]byte(src), checkOpts())
	if strings.Contains(messages(res.Warnings), "InvalidDefinitionDescription") {
		t.Errorf("an experimental rule ran unasked:\n%s", messages(res.Warnings))
	}
	for _, d := range []string{"experimental=InvalidDefinitionDescription", "experimental=all"} {
		res, _ = Analyze([]byte("# check="+d+"\n"+src), checkOpts())
		want := "Dockerfile:4: InvalidDefinitionDescription: Comment for ARG should follow the format: `# b <description>` (line 4)"
		if !strings.Contains(messages(res.Warnings), want) {
			t.Errorf("%s: warnings:\n%swant %q", d, messages(res.Warnings), want)
		}
	}
}

func TestCheckErrorTrueMakesViolationsProblemsWithTheirLine(t *testing.T) {
	res, probs := Analyze([]byte("# check=error=true\nFROM alpine as base\nRUN ls\n"), checkOpts())
	want := "Dockerfile:2: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 2)"
	if !strings.Contains(messages(probs), want) {
		t.Errorf("problems:\n%swant %q", messages(probs), want)
	}
	if res.Dockerfile != nil {
		t.Error("a Dockerfile was returned despite a failed check")
	}
	for _, src := range []string{"# check=error=true\nFROM alpine AS base\n", "# check=error=true;skip=FromAsCasing\nFROM alpine as base\n"} {
		if _, probs := Analyze([]byte(src), checkOpts()); len(probs) != 0 {
			t.Errorf("error=true without violations failed:\n%s", messages(probs))
		}
	}
}

func TestAnInvalidCheckDirectiveIsRefusedWithItsLine(t *testing.T) {
	_, probs := Analyze([]byte("# check=bogus\nFROM alpine\n"), checkOpts())
	if !strings.Contains(messages(probs), "Dockerfile:1: # check: invalid check option") {
		t.Errorf("problems:\n%s", messages(probs))
	}
}

func TestBuildChecksOffReportNothing(t *testing.T) {
	res, probs := Analyze([]byte("# check=error=true\nFROM alpine as base\nENV A 1\n"), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	for _, w := range res.Warnings {
		if strings.Contains(w.Msg, "FromAsCasing") || strings.Contains(w.Msg, "LegacyKeyValueFormat") {
			t.Errorf("a check ran while off: %s", w)
		}
	}
}

// BuildKit parses every stage, so its checks cover a stage the target does
// not need, which is not built.
func TestBuildChecksCoverStagesTheTargetDoesNotNeed(t *testing.T) {
	opts := checkOpts()
	opts.Target = "app"
	res, _ := Analyze([]byte("FROM alpine as lint\nRUN ls\nFROM alpine AS app\n"), opts)
	want := "Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)"
	if !strings.Contains(messages(res.Warnings), want) {
		t.Errorf("warnings:\n%swant %q", messages(res.Warnings), want)
	}
}
