package dockerfile

import (
	"slices"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
)

func TestNamedImageContextsReplaceWhatFromAndCopyFromAndMountFromRead(t *testing.T) {
	img := func(ref string) named.Context { return named.Context{Image: ref} }
	for _, tc := range []struct {
		name, src string
		ctxs      map[string]named.Context
		want      string            // the Dockerfile kaniko builds
		history   map[string]string // created_by kaniko records -> as written
	}{
		{"FROM name", "FROM alpine\nRUN true\n", map[string]named.Context{"alpine": img("busybox:1.36")}, "FROM busybox:1.36\nRUN true\n", nil},
		{"FROM a longer form of the name", "FROM docker.io/library/alpine:latest\n", map[string]named.Context{"alpine": img("busybox:1.36")}, "FROM busybox:1.36\n", nil},
		{"a tagged name is its own context", "FROM alpine:3.20\n", map[string]named.Context{"alpine": img("busybox:1.36")}, "FROM alpine:3.20\n", nil},
		{"FROM a global ARG", "ARG BASE=base\nFROM ${BASE} AS x\n", map[string]named.Context{"base": img("busybox")}, "ARG BASE=base\nFROM busybox AS x\n", nil},
		{"COPY --from", "FROM scratch\nCOPY --from=tools --chown=1:1 /bin/sh /sh\n", map[string]named.Context{"tools": img("busybox@sha256:" + strings.Repeat("a", 64))},
			"FROM scratch\nCOPY --from=busybox@sha256:" + strings.Repeat("a", 64) + " --chown=1:1 /bin/sh /sh\n",
			map[string]string{"COPY --from=busybox@sha256:" + strings.Repeat("a", 64) + " --chown=1:1 /bin/sh /sh": "COPY --from=tools --chown=1:1 /bin/sh /sh"}},
		{"a stage of the same name is replaced by the context", "FROM alpine AS base\nRUN false\nCOPY x /\nFROM base\nCOPY --from=base /a /b\n", map[string]named.Context{"base": img("busybox")},
			"FROM busybox AS base\n\n\nFROM base\nCOPY --from=base /a /b\n", nil},
		{"a stage index is no context", "FROM alpine AS a\nFROM scratch\nCOPY --from=0 /a /b\n", map[string]named.Context{"0": img("busybox")}, "FROM alpine AS a\nFROM scratch\nCOPY --from=0 /a /b\n", nil},
		{"a later stage is no stage for FROM", "FROM scratch\nFROM base AS a\nFROM scratch AS base\nFROM a\n", map[string]named.Context{"base": img("busybox")}, "FROM scratch\nFROM busybox AS a\nFROM scratch AS base\nFROM a\n", nil},
		{"an unused context changes nothing", "FROM alpine\n", map[string]named.Context{"other": img("busybox")}, "FROM alpine\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts()
			opts.Contexts = tc.ctxs
			res, probs := Analyze([]byte(tc.src), opts)
			if len(probs) > 0 {
				t.Fatal(messages(probs))
			}
			if got := string(res.Dockerfile); got != tc.want {
				t.Errorf("Dockerfile\n%q, want\n%q", got, tc.want)
			}
			for k, v := range tc.history {
				if res.History[k] != v {
					t.Errorf("History[%q] = %q, want %q (all: %q)", k, res.History[k], v, res.History)
				}
			}
		})
	}
}

func TestNamedImageContextOfAMountIsPulledAndItsHistoryRestored(t *testing.T) {
	opts := testOpts()
	opts.Contexts = map[string]named.Context{"tools": {Image: "registry.example:5000/tools:1"}}
	src := "FROM scratch\nRUN --mount=type=bind,from=tools,target=/t /t/hello\n"
	res, probs := Analyze([]byte(src), opts)
	if len(probs) > 0 {
		t.Fatal(messages(probs))
	}
	if !slices.Contains(res.Pulls, "registry.example:5000") {
		t.Errorf("Pulls %q lack the context's registry", res.Pulls)
	}
	if len(res.Steps) != 1 || !res.Steps[0].Mounts[0].FromImage || res.Steps[0].Mounts[0].From != "registry.example:5000/tools:1" {
		t.Fatalf("steps %+v, want one mounting the context's image", res.Steps)
	}
	found := false
	for _, v := range res.History {
		found = found || v == "RUN --mount=type=bind,from=tools,target=/t /t/hello"
	}
	if !found {
		t.Errorf("history %q lacks the RUN as written", res.History)
	}
}

func TestNamedDirectoryContextsBecomeAStageBeforeTheFirstFromWithTheLinesAsWritten(t *testing.T) {
	opts := testOpts()
	opts.Contexts = map[string]named.Context{"shared": {Dir: "/ws/shared", Digest: "sha256:abc", Excludes: []string{"*.o"}}}
	src := "# syntax=docker/dockerfile:1\nARG BASE=busybox\nFROM ${BASE} AS build\nRUN --mount=from=shared,target=/s cat /s/a\nFROM scratch\nCOPY --from=shared /lib /lib\nCOPY --from=0 /x /x\nRUN --mount=type=foo ls\n"
	_, probs := Analyze([]byte(src), opts)
	if len(probs) != 1 || probs[0].Line != 8 {
		t.Fatalf("problems %s, want the one of line 8", messages(probs))
	}
	opts.AllStages = true
	res, probs := Analyze([]byte(strings.Replace(src, "RUN --mount=type=foo ls\n", "", 1)), opts)
	if len(probs) > 0 {
		t.Fatal(messages(probs))
	}
	df := string(res.Dockerfile)
	if !strings.HasPrefix(df, "# syntax=docker/dockerfile:1\nARG BASE=busybox\nFROM scratch AS kaniko-ecr-context-0\nRUN [\"/kaniko/kaniko-ecr\",\"step\",\"/kaniko/steps/") ||
		!strings.Contains(df, "COPY --from=kaniko-ecr-context-0 /kaniko-ecr-context/lib /lib\nCOPY --from=1 /x /x\n") || !strings.Contains(df, "RUN [\"/kaniko/kaniko-ecr\",\"step\"") {
		t.Errorf("kaniko's Dockerfile:\n%s", df)
	}
	var ctx, run *Step
	for i, s := range res.Steps {
		switch s.Kind {
		case "context":
			ctx = &res.Steps[i]
		case "run":
			run = &res.Steps[i]
		}
	}
	if ctx == nil || ctx.Dir != "/ws/shared" || ctx.Digest != "sha256:abc" || ctx.Excludes[0] != "*.o" || ctx.Line != 3 {
		t.Errorf("context step %+v", ctx)
	}
	if run == nil || run.Line != 4 || run.Mounts[0].FromStage == nil || *run.Mounts[0].FromStage != 0 {
		t.Errorf("the RUN's step %+v, want line 4 mounting stage 0", run)
	}
	if res.History["COPY --from=kaniko-ecr-context-0 /kaniko-ecr-context/lib /lib"] != "COPY --from=shared /lib /lib" || res.History["COPY --from=1 /x /x"] != "COPY --from=0 /x /x" {
		t.Errorf("history %q", res.History)
	}
}

func TestNamedDirectoryContextsServeCopyAndMountOnly(t *testing.T) {
	opts := testOpts()
	opts.Contexts = map[string]named.Context{"shared": {Dir: "/ws/shared"}}
	src := "FROM alpine AS shared\nRUN false\nFROM shared\nFROM scratch\nCOPY --from=shared [\"a b\", \"/c\"]\nRUN --mount=type=bind,from=shared,src=/lib,target=/l x\n"
	_, probs := Analyze([]byte(src), opts)
	if len(probs) != 1 || probs[0].Line != 3 || !strings.Contains(probs[0].Msg, `build context "shared" is a directory`) {
		t.Fatalf("problems %s, want FROM shared refused on line 3", messages(probs))
	}
	src = strings.Replace(src, "FROM shared\n", "FROM busybox\n", 1)
	opts.AllStages = true
	res, probs := Analyze([]byte(src), opts)
	if len(probs) > 0 {
		t.Fatal(messages(probs))
	}
	for _, want := range []string{"FROM scratch AS shared\n\n", `COPY --from=kaniko-ecr-context-0 ["/kaniko-ecr-context/a b","/c"]`} {
		if !strings.Contains(string(res.Dockerfile), want) {
			t.Errorf("kaniko's Dockerfile lacks %q:\n%s", want, res.Dockerfile)
		}
	}
	for _, s := range res.Steps {
		if s.Kind == "run" && (s.Mounts[0].Source != "/kaniko-ecr-context//lib" && s.Mounts[0].Source != "/kaniko-ecr-context/lib" || *s.Mounts[0].FromStage != 0) {
			t.Errorf("mount %+v", s.Mounts[0])
		}
	}
}

func TestNamedDirectoryContextStagesAreNeitherTargetsNorForeignRuns(t *testing.T) {
	opts := testOpts()
	opts.Contexts = map[string]named.Context{"shared": {Dir: "/ws/shared"}}
	res, probs := Analyze([]byte("FROM scratch AS out\nCOPY --from=shared / /\n"), opts)
	if len(probs) > 0 {
		t.Fatal(messages(probs))
	}
	if !slices.Equal(res.Stages, []string{"out"}) || len(res.Runs) != 0 {
		t.Errorf("stages %q, runs %+v: want only the Dockerfile's", res.Stages, res.Runs)
	}
}

// A COPY or RUN that reads a directory context before any FROM is refused
// by line as any instruction before the first FROM is, not by a failure
// inside the front end (found by FuzzAnalyze).
func TestDirectoryContextReadBeforeTheFirstFromIsRefusedByLine(t *testing.T) {
	opts := testOpts()
	opts.Contexts = map[string]named.Context{"lib": {Dir: "/ws/lib", Digest: "sha256:00"}}
	for _, src := range []string{"COPY --from=lib", "COPY --from=lib /a /b\nFROM alpine\n", "RUN --mount=from=lib,target=/l x\nFROM alpine\n"} {
		_, probs := Analyze([]byte(src), opts)
		if len(probs) == 0 || probs[0].Line != 1 {
			t.Errorf("%q: problems %s, want one on line 1", src, messages(probs))
		}
		for _, p := range probs {
			if strings.Contains(p.Msg, "internal") {
				t.Errorf("%q: %s", src, p)
			}
		}
	}
}
