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
