package integration

import (
	"strings"
	"testing"
)

// A build check warns as docker build does, naming the file and line, and
// the image still builds; under # check=error=true the same violation
// fails validation with exit 2 before any AWS call.
func TestBuildCheckWarnsNamingFileAndLineAndErrorTrueExitsTwoBeforeAnyCall(t *testing.T) {
	addRepos("bk/checks")
	src := "ARG BASE\nFROM ${BASE} as y\nRUN echo hi > /hi.txt\n"
	want := "FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 2)"
	ws := writeFiles(t, map[string]string{"checks.Dockerfile": src})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/checks", "PLUGIN_DOCKERFILE": "checks.Dockerfile", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "checks.Dockerfile:2: "+want) {
		t.Errorf("no warning naming the file and line:\n%s", r.stderr)
	}
	if _, files := pulled(t, stack.Registry.Addr+"/bk/checks:latest"); files["hi.txt"] != "hi\n" {
		t.Errorf("hi.txt = %q", files["hi.txt"])
	}

	before := len(stack.API.Calls())
	ws = writeFiles(t, map[string]string{"Dockerfile": "# check=error=true\n" + src})
	r = runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/checks", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Dockerfile:3: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 3)") {
		t.Errorf("the report lacks the violation with its file and line:\n%s", r.stderr)
	}
	if n := len(stack.API.Calls()) - before; n != 0 {
		t.Errorf("%d AWS calls before validation ended", n)
	}
}

// A check= comment above one instruction silences that rule there, as in
// BuildKit, and the build runs: kaniko's parser, which would crash on the
// comment, never sees it.
func TestCheckCommentAboveAnInstructionSkipsItsRuleAndBuilds(t *testing.T) {
	addRepos("bk/checks-inline")
	src := "ARG BASE\nFROM ${BASE}\nRUN echo hi > /hi.txt\n# check=skip=JSONArgsRecommended\nCMD cat /hi.txt\nENTRYPOINT cat /hi.txt\n"
	ws := writeFiles(t, map[string]string{"Dockerfile": src})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/checks-inline", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "Dockerfile:5: JSONArgsRecommended") || !strings.Contains(r.stderr, "Dockerfile:6: JSONArgsRecommended") {
		t.Errorf("want the rule skipped on line 5 only:\n%s", r.stderr)
	}
	img, files := pulled(t, stack.Registry.Addr+"/bk/checks-inline:latest")
	if files["hi.txt"] != "hi\n" {
		t.Errorf("hi.txt = %q", files["hi.txt"])
	}
	cf, err := img.ConfigFile()
	if err != nil || strings.Join(cf.Config.Cmd, " ") != "/bin/sh -c cat /hi.txt" {
		t.Errorf("Cmd %q (%v)", cf.Config.Cmd, err)
	}
}
