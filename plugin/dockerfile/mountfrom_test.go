package dockerfile

import (
	"strings"
	"testing"
)

func TestMountFromAStageKeepsItsSourcesWithAStepAtTheEndOfThatStage(t *testing.T) {
	src := "FROM golang AS build\nRUN go build -o /out/app\n\nFROM alpine\nRUN --mount=from=build,source=/out,target=/o cp /o/app /usr/bin/\nRUN --mount=type=cache,from=build,source=etc/x/,target=/c ls /c\nRUN --mount=from=build,source=/out/sub,target=/s ls\n# end\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	tok := res.CacheBuster
	if tok == "" || strings.Contains(src, tok) {
		t.Fatalf("cache buster %q", tok)
	}
	var keep Step
	for _, st := range res.Steps {
		if st.Kind == "keep" {
			keep = st
		} else if m := st.Mounts[0]; m.FromStage == nil || *m.FromStage != 0 || m.FromImage {
			t.Errorf("line %d: mount %+v does not name stage 0", st.Line, m)
		}
	}
	if keep.Stage != 0 || !keep.Helper || strings.Join(keep.Keep, " ") != "/etc/x /out" {
		t.Fatalf("keep step %+v", keep)
	}
	lines := strings.Split(string(res.Dockerfile), "\n")
	wantKeep := `RUN ["/kaniko/kaniko-ecr","step","/kaniko/steps/` + keep.ID + `.json","` + tok + `"]`
	if len(lines) < 9 || lines[2] != wantKeep || lines[8] != "# end" || strings.Count(string(res.Dockerfile), tok) != 1 {
		t.Fatalf("rewritten:\n%s\nwant line 3 %s and nothing else added", res.Dockerfile, wantKeep)
	}
	if len(res.Pulls) != 1 {
		t.Errorf("pulls %v: a stage is no image", res.Pulls)
	}
}

func TestMountFromAnImageIsPulledWithTheBuildsCredentials(t *testing.T) {
	src := "FROM alpine\nRUN --mount=from=registry.example.com:5000/tools/x:1,source=/bin,target=/t ls /t\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	m := res.Steps[0].Mounts[0]
	if !m.FromImage || m.FromStage != nil || m.From != "registry.example.com:5000/tools/x:1" {
		t.Errorf("mount %+v", m)
	}
	if !strings.Contains(strings.Join(res.Pulls, " "), "registry.example.com:5000") {
		t.Errorf("pulls %v lack the mounted image's registry", res.Pulls)
	}
	if res.CacheBuster != "" || !strings.HasPrefix(string(res.Dockerfile), "FROM alpine\nRUN [") {
		t.Errorf("an image mount needs no kept stage:\n%s", res.Dockerfile)
	}
}

func TestAWholeStageMountedWithoutTargetIsKeptWholeAndMountedAtTheWorkdir(t *testing.T) {
	src := "FROM alpine AS build\nRUN make\nFROM scratch AS binaries\nCOPY --from=build /out/app /\nFROM alpine\nWORKDIR /src\nRUN --mount=from=binaries ls\nRUN --mount=from=binaries,source=/app,target=/a ls\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	for _, st := range res.Steps {
		switch {
		case st.Kind == "keep" && (st.Stage != 1 || strings.Join(st.Keep, " ") != "/"):
			t.Errorf("keep step %+v, want all of stage 1", st)
		case st.Line == 7 && (st.Mounts[0].Target != "/src" || st.Mounts[0].Source != ""):
			t.Errorf("target-less mount %+v, want it at the WORKDIR /src", st.Mounts[0])
		}
	}
}

func TestMountFromRefusalsNameTheLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"later stage", "FROM alpine\nRUN --mount=from=late,target=/x ls\nFROM alpine AS late\n", `Dockerfile:2: RUN --mount=from=late,target=/x: stage "late" is not built before this instruction`},
		{"own stage", "FROM alpine AS me\nRUN --mount=from=me,target=/x ls\n", `stage "me" is not built before`},
		{"variable", "FROM alpine\nRUN --mount=from=${IMG},target=/x ls\n", "doesn't support variable expansion"},
		{"wildcard", "FROM alpine AS a\nFROM alpine\nRUN --mount=from=a,source=/o/*,target=/x ls\n", "Dockerfile:3: RUN --mount=from=a,source=/o/*,target=/x: a source taken from a stage cannot hold variables, wildcards"},
		{"variable source", "FROM alpine AS a\nFROM alpine\nRUN --mount=from=a,source=$D,target=/x ls\n", "cannot hold variables"},
		{"no target, WORKDIR /", "FROM alpine\nWORKDIR /\nRUN --mount=type=cache,id=c ls\n", "Dockerfile:3: RUN --mount=type=cache,id=c: cannot mount over /"},
		{"no target, scratch", "FROM scratch\nRUN --mount=type=tmpfs [\"/x\"]\n", "cannot mount over /"},
		{"bad image", "FROM alpine\nRUN --mount=from=UPPER:x:y,target=/x ls\n", "is neither a stage of this Dockerfile nor an image reference"},
	}
	opts := testOpts()
	opts.AllStages = true // a stage that mounts a later one is a side stage of the last
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, probs := Analyze([]byte(c.src), opts)
			if !strings.Contains(messages(probs), c.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", messages(probs), c.want)
			}
		})
	}
}

func TestTargetlessMountsFollowRelativeAndInheritedWorkdirs(t *testing.T) {
	src := "FROM alpine AS base\nWORKDIR /app\nWORKDIR src\nFROM base\nRUN --mount=type=bind,source=go.mod ls\n"
	st := oneStep(t, src, testOpts())
	if got := st.Mounts[0].Target; got != "/app/src" {
		t.Errorf("target %q, want the inherited WORKDIR /app/src", got)
	}
}

func TestATargetlessMountInAStageWithoutWorkdirGoesToTheImagesWorkdirAtBuildTime(t *testing.T) {
	st := oneStep(t, "FROM golang\nRUN --mount=type=bind,source=. go build\n", testOpts())
	if m := st.Mounts[0]; m.Target != "" {
		t.Errorf("target %q, want it left to the step server", m.Target)
	}
}
