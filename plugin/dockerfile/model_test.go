package dockerfile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

func oneStep(t *testing.T, src string, opts Options) Step {
	t.Helper()
	res, probs := Analyze([]byte(src), opts)
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	var steps []Step
	for _, st := range res.Steps {
		if st.Kind != "keep" { // see TestMountFromAStageKeepsItsSources...
			steps = append(steps, st)
		}
	}
	if len(steps) != 1 {
		t.Fatalf("steps: %+v", res.Steps)
	}
	return steps[0]
}

func u32(v uint32) *uint32 { return &v }

func TestMountsGetBuildKitDefaults(t *testing.T) {
	opts := testOpts()
	opts.SSH = true
	opts.Secrets[".npmrc"] = true
	cases := []struct {
		flags string
		want  []Mount
	}{
		{"--mount=type=secret,id=npmrc", []Mount{{Type: "secret", ID: "npmrc", Target: "/run/secrets/npmrc", ReadOnly: true}}},
		{"--mount=type=secret,target=/root/.npmrc,required", []Mount{{Type: "secret", ID: ".npmrc", Target: "/root/.npmrc", ReadOnly: true, Required: true}}},
		{"--mount=type=secret,source=tok,env=TOKEN,uid=1,mode=0440", []Mount{{Type: "secret", ID: "tok", Env: "TOKEN", ReadOnly: true, UID: u32(1), Mode: u32(0o440)}}},
		{"--mount=type=ssh --mount=type=ssh,id=gh,required", []Mount{
			{Type: "ssh", ID: "default", Target: "/run/buildkit/ssh_agent.0", ReadOnly: true},
			{Type: "ssh", ID: "gh", Target: "/run/buildkit/ssh_agent.1", ReadOnly: true, Required: true}}},
		{"--mount=type=cache,target=/root/.cache/", []Mount{{Type: "cache", ID: "/root/.cache", Target: "/root/.cache/", Sharing: "shared"}}},
		{"--mount=type=cache,id=go-$TARGETARCH,target=$HOME/go,sharing=locked,from=base,source=/c,ro", []Mount{
			{Type: "cache", ID: "go-$TARGETARCH", Target: "$HOME/go", Sharing: "locked", From: "base", FromStage: new(int), Source: "/c", ReadOnly: true}}},
		{"--mount=target=src,rw", []Mount{{Type: "bind", Target: "src"}}},
		{"--mount=type=bind,from=base,src=/etc,dst=/e", []Mount{{Type: "bind", From: "base", FromStage: new(int), Source: "/etc", Target: "/e", ReadOnly: true}}},
		{"--mount=type=tmpfs,target=/tmp,size=64m", []Mount{{Type: "tmpfs", Target: "/tmp", Size: 64 << 20}}},
	}
	for _, c := range cases {
		st := oneStep(t, "FROM alpine AS base\nFROM alpine\nRUN "+c.flags+" make\n", opts)
		if !reflect.DeepEqual(st.Mounts, c.want) {
			got, _ := json.Marshal(st.Mounts)
			want, _ := json.Marshal(c.want)
			t.Errorf("%s:\n got %s\nwant %s", c.flags, got, want)
		}
	}
}

func TestRunStepRecordsCommandShellStageAndOriginalText(t *testing.T) {
	src := "FROM alpine AS base\nSHELL [\"/bin/ash\", \"-c\"]\nFROM base AS test\n" +
		"RUN --network=none --mount=type=cache,target=/c \\\n  make <<EOF\nall\nEOF\n"
	st := oneStep(t, src, testOpts())
	want := Step{
		Kind: "run", Helper: true, File: "Dockerfile", Line: 4,
		Original: "RUN --network=none --mount=type=cache,target=/c   make <<EOF\nall\nEOF",
		Stage:    1, StageName: "test",
		Shell: []string{"/bin/ash", "-c"}, Escape: `\`,
		Command:  "make <<EOF",
		Args:     []string{"/bin/ash", "-c", "make <<EOF\nall\nEOF"},
		Heredocs: []Heredoc{{Name: "EOF", Data: "all\n", Expand: true}},
		Mounts:   []Mount{{Type: "cache", Target: "/c", ID: "/c", Sharing: "shared"}},
		Network:  "none",
	}
	id := st.ID
	st.ID = ""
	if !reflect.DeepEqual(st, want) {
		got, _ := json.MarshalIndent(st, "", " ")
		t.Errorf("got %s", got)
	}
	if id != step.ID(want) {
		t.Errorf("id %s is not the sha256 of the step", id)
	}
}

func TestStepIDIsTheSHA256OfItsJSONAndChangesWithContent(t *testing.T) {
	a := oneStep(t, "FROM alpine\nRUN --mount=type=cache,target=/c make\n", testOpts())
	b := oneStep(t, "FROM alpine\nRUN --mount=type=cache,target=/c make all\n", testOpts())
	again := oneStep(t, "FROM alpine\nRUN --mount=type=cache,target=/c make\n", testOpts())
	if a.ID == b.ID || a.ID != again.ID {
		t.Errorf("ids %s %s %s", a.ID, b.ID, again.ID)
	}
	id := a.ID
	a.ID = ""
	js, _ := json.Marshal(a)
	sum := sha256.Sum256(js)
	if hex.EncodeToString(sum[:]) != id {
		t.Error("id is not the sha256 of the step's JSON")
	}
}

func TestExecFormRunWithAMountKeepsItsArguments(t *testing.T) {
	st := oneStep(t, "FROM alpine\nRUN --mount=type=tmpfs,target=/t [\"ls\", \"-l\", \"$HOME\"]\n", testOpts())
	if !reflect.DeepEqual(st.Exec, []string{"ls", "-l", "$HOME"}) || !reflect.DeepEqual(st.Args, st.Exec) || st.Command != "" {
		t.Errorf("%+v", st)
	}
}

func TestEmptyExecFormRunWithAMountIsRewritten(t *testing.T) {
	st := oneStep(t, "FROM alpine\nRUN --mount=type=tmpfs,target=/t []\n", testOpts())
	if !st.Helper || len(st.Args) != 0 {
		t.Errorf("%+v", st)
	}
}

func TestShebangHeredocIsWrittenToAScriptAndExecuted(t *testing.T) {
	st := oneStep(t, "FROM alpine\nRUN <<-run.py\n\t#!/usr/bin/env python3\n\tprint(1)\n\trun.py\n", testOpts())
	if st.Script != "/dev/pipes/run.py" || !reflect.DeepEqual(st.Args, []string{"/dev/pipes/run.py"}) {
		t.Errorf("%+v", st)
	}
	if got := st.Heredocs[0].Content(); got != "#!/usr/bin/env python3\nprint(1)\n" {
		t.Errorf("content %q", got)
	}
}

func TestCopyHeredocStepHasDestinationModeOwnerAndFiles(t *testing.T) {
	src := "FROM alpine\nCOPY --chmod=755 --chown=app <<a.sh <<-'b.sh' /usr/local/bin/\n#!/bin/sh\necho $A\na.sh\n\techo $B\n\tb.sh\n"
	st := oneStep(t, src, testOpts())
	want := []Heredoc{{Name: "a.sh", Data: "#!/bin/sh\necho $A\n", Expand: true}, {Name: "b.sh", Data: "echo $B\n"}}
	if st.Kind != "copy" || st.Dest != "/usr/local/bin/" || st.Chmod != "755" || st.Chown != "app" || !reflect.DeepEqual(st.Heredocs, want) {
		t.Errorf("%+v", st)
	}
	if len(st.Args) != 0 || st.Script != "" {
		t.Errorf("a copy step runs nothing: %+v", st)
	}
}

func TestHeredocRunsKanikoExecutesAreStillRecordedAsSteps(t *testing.T) {
	st := oneStep(t, "FROM alpine\nRUN <<EOF\nls\nEOF\n", testOpts())
	if st.Helper || !reflect.DeepEqual(st.Args, []string{"/bin/sh", "-c", "ls\n"}) {
		t.Errorf("%+v", st)
	}
}

func TestChecksumDownloadBecomesAHelperStep(t *testing.T) {
	sum := "sha256:" + strings.Repeat("9f", 32)
	src := "FROM alpine\nFROM alpine\nADD --checksum=" + sum + " --chmod=0644 https://example.com/a.tgz /opt/\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatal(messages(probs))
	}
	if len(res.Steps) != 1 {
		t.Fatalf("steps %+v", res.Steps)
	}
	st := res.Steps[0]
	if st.Kind != "add" || !st.Helper || st.Line != 3 || st.Stage != 1 || st.URL != "https://example.com/a.tgz" || st.Checksum != sum || st.Dest != "/opt/" || st.Chmod != "0644" {
		t.Errorf("%+v", st)
	}
	if got := res.History[strings.Split(string(res.Dockerfile), "\n")[2]]; got != "ADD --checksum="+sum+" --chmod=0644 https://example.com/a.tgz /opt/" {
		t.Errorf("history maps the helper line to %q", got)
	}
}

func TestBindSourcesFromTheContextArePartOfTheStepID(t *testing.T) {
	src := []byte("FROM alpine\nRUN --mount=type=bind,source=go.sum,target=go.sum --mount=type=bind,source=$DIR,target=/d true\n")
	ids := map[string]bool{}
	for _, content := range []string{"v1", "v2"} {
		opts := testOpts()
		var asked []string
		opts.ContentHash = func(source string) (string, error) {
			asked = append(asked, source)
			return content + ":" + source, nil
		}
		res, probs := Analyze(src, opts)
		if len(probs) != 0 {
			t.Fatal(messages(probs))
		}
		if !reflect.DeepEqual(asked, []string{"go.sum", ""}) {
			t.Errorf("hashed %q, want go.sum and the whole context for a source with a variable", asked)
		}
		ids[res.Steps[0].ID] = true
	}
	if len(ids) != 2 {
		t.Error("the step id did not change with the bound files' content")
	}
}

func TestStepFileIsTheIDInTheStepDir(t *testing.T) {
	if got := testOpts().StepFile("abc"); got != "/kaniko/steps/abc.json" {
		t.Error(got)
	}
}

func TestProblemStringIsFileColonLine(t *testing.T) {
	if got := (Problem{File: "docker/Dockerfile.prod", Line: 14, Msg: "x"}).String(); got != "docker/Dockerfile.prod:14: x" {
		t.Error(got)
	}
}

func TestRunsNameEachStageWithRunAndItsFirstRunLine(t *testing.T) {
	src := "FROM alpine AS build\nCOPY a /a\nRUN make\nRUN make install\nFROM scratch AS copyonly\nCOPY --from=build /a /a\nFROM alpine\nRUN true\n"
	for _, tc := range []struct {
		name      string
		target    string
		allStages bool
		want      []StageRun
	}{
		{"every stage", "", true, []StageRun{{Stage: 0, Name: "build", Line: 3}, {Stage: 2, Line: 8}}},
		{"only the stages the last one needs", "", false, []StageRun{{Stage: 2, Line: 8}}},
		{"only the stages the target needs", "copyonly", false, []StageRun{{Stage: 0, Name: "build", Line: 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts()
			opts.Target, opts.AllStages = tc.target, tc.allStages
			res, probs := Analyze([]byte(src), opts)
			if len(probs) != 0 {
				t.Fatal(messages(probs))
			}
			if !reflect.DeepEqual(res.Runs, tc.want) {
				t.Errorf("runs %+v, want %+v", res.Runs, tc.want)
			}
		})
	}
}
