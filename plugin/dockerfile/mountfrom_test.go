package dockerfile

import (
	"strings"
	"testing"
)

func TestMountFromAStageKeepsItsFilesWithACOPYThatLeavesNoLayer(t *testing.T) {
	src := "FROM golang AS build\nRUN go build -o /out/app\n\nFROM alpine\nRUN --mount=from=build,source=/out,target=/o cp /o/app /usr/bin/\nRUN --mount=type=cache,from=build,source=out,target=/c ls /c\n# end\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	if res.CacheBuster == "" || strings.Contains(src, res.CacheBuster) {
		t.Fatalf("cache buster %q", res.CacheBuster)
	}
	lines := strings.Split(string(res.Dockerfile), "\n")
	want := "COPY --from=build /out /kaniko/keep/" + res.CacheBuster + "/1/build/"
	if len(lines) < 8 || lines[6] != want || lines[7] != want || lines[8] != "# end" {
		t.Fatalf("rewritten:\n%s\nwant lines 7 and 8: %s", res.Dockerfile, want)
	}
	for _, st := range res.Steps {
		if m := st.Mounts[0]; m.FromStage == nil || *m.FromStage != 0 || m.FromImage {
			t.Errorf("line %d: mount %+v does not name stage 0", st.Line, m)
		}
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

func TestWholeStageMountsListTheTopLevelPathsOfAScratchStage(t *testing.T) {
	src := "FROM alpine AS build\nRUN make\nFROM scratch AS binaries\nCOPY --from=build /out/app /\nCOPY --from=build /out/lib /usr/lib/\nWORKDIR /etc/x\nFROM alpine\nWORKDIR /src\nRUN --mount=from=binaries ls\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	if m := res.Steps[0].Mounts[0]; m.Target != "/src" || m.Source != "" {
		t.Errorf("target-less mount %+v, want it at the WORKDIR /src", m)
	}
	if !strings.Contains(string(res.Dockerfile), "\nCOPY --from=binaries /app /etc /usr /kaniko/keep/") {
		t.Errorf("rewritten:\n%s", res.Dockerfile)
	}
}

func TestMountFromRefusalsNameTheLine(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"later stage", "FROM alpine\nRUN --mount=from=late,target=/x ls\nFROM alpine AS late\n", `Dockerfile:2: RUN --mount=from=late,target=/x: stage "late" is not built before this instruction`},
		{"own stage", "FROM alpine AS me\nRUN --mount=from=me,target=/x ls\n", `stage "me" is not built before`},
		{"variable", "FROM alpine\nRUN --mount=from=${IMG},target=/x ls\n", "doesn't support variable expansion"},
		{"whole image stage", "FROM alpine AS a\nFROM alpine\nRUN --mount=from=a,target=/x ls\n", `Dockerfile:3: RUN --mount=from=a,target=/x: mounting all of stage "a" needs its top-level paths`},
		{"scratch with RUN", "FROM scratch AS a\nCOPY x /x\nRUN [\"/x\"]\nFROM alpine\nRUN --mount=from=a,target=/x ls\n", "mounting all of stage"},
		{"wildcard", "FROM alpine AS a\nFROM alpine\nRUN --mount=from=a,source=/o/*,target=/x ls\n", "cannot hold wildcards"},
		{"no target, no WORKDIR", "FROM alpine\nRUN --mount=type=bind,source=. ls\n", "Dockerfile:2: RUN --mount=type=bind,source=.: a bind mount without a target is mounted at the WORKDIR"},
		{"no target, WORKDIR /", "FROM alpine\nWORKDIR /\nRUN --mount=type=cache,id=c ls\n", "Dockerfile:3: RUN --mount=type=cache,id=c: cannot mount over /"},
		{"no target, scratch", "FROM scratch\nRUN --mount=type=tmpfs [\"/x\"]\n", "cannot mount over /"},
		{"bad image", "FROM alpine\nRUN --mount=from=UPPER:x:y,target=/x ls\n", "is neither a stage of this Dockerfile nor an image reference"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, probs := Analyze([]byte(c.src), testOpts())
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
