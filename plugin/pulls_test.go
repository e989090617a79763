package plugin

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuildFactsNameTheRegistriesTheBuildPullsFrom(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	for _, tc := range []struct {
		name, dockerfile string
		args             []string
		want             buildFacts
	}{
		{"scratch only", "FROM scratch\nCOPY busybox /bin/busybox\n", nil, buildFacts{}},
		{"Docker Hub short name", "FROM alpine:3.20\nRUN true\n", nil, buildFacts{pulls: []string{"index.docker.io"}, hasRun: true}},
		{"ECR base", "FROM " + ecr + "/base/node:20\n", nil, buildFacts{pulls: []string{ecr}}},
		{"global ARG default", "ARG BASE=quay.io/x/y\nFROM ${BASE}\n", nil, buildFacts{pulls: []string{"quay.io"}}},
		{"build arg overrides the default", "ARG BASE=quay.io/x/y\nFROM $BASE\n", []string{"BASE=" + ecr + "/b"}, buildFacts{pulls: []string{ecr}}},
		{"default in the reference", "ARG TAG\nFROM ghcr.io/a/b:${TAG:-1}\n", nil, buildFacts{pulls: []string{"ghcr.io"}}},
		{"undeclared ARG: unknown", "FROM ${BASE}\n", []string{"BASE=quay.io/x"}, buildFacts{unknown: true}},
		{"stage names and flags", "FROM --platform=$BUILDPLATFORM golang:1 AS Build\nRUN go build\nFROM build AS test\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\n", nil, buildFacts{pulls: []string{"index.docker.io"}, hasRun: true}},
		{"COPY --from an image", "FROM scratch\nCOPY --from=" + ecr + "/tools:1 /t /t\n", nil, buildFacts{pulls: []string{ecr}}},
		{"continuation and comments", "# FROM quay.io/ignored\nFROM \\\n  gcr.io/distroless/static\nRUN echo a \\\n  b\n", nil, buildFacts{pulls: []string{"gcr.io"}, hasRun: true}},
		{"lower-case instructions", "from public.ecr.aws/docker/library/busybox\nrun true\n", nil, buildFacts{pulls: []string{"public.ecr.aws"}, hasRun: true}},
		{"FROM without an image", "FROM\n", nil, buildFacts{unknown: true}},
		{"not a reference", "FROM Not:A:Ref\n", nil, buildFacts{unknown: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanBuildFacts(strings.NewReader(tc.dockerfile), tc.args)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(buildFacts{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildFactsOfAMissingDockerfileAssumeTheWorst(t *testing.T) {
	got := readBuildFacts("/nonexistent/Dockerfile", nil)
	if !got.unknown || !got.hasRun {
		t.Errorf("%+v: a Dockerfile that cannot be read must count as pulling from anywhere and running steps", got)
	}
}

// Any Dockerfile text and build args give an answer without panicking, and
// every registry named is one a reference in the text could name.
func FuzzBuildFacts(f *testing.F) {
	f.Add("ARG B=x\nFROM ${B:-y} AS s\nCOPY --from=s / /\nRUN a \\\n b\n", "B=quay.io/z")
	f.Add("FROM scratch\n", "")
	f.Add("from $A\n", "A=")
	f.Fuzz(func(t *testing.T, dockerfile, arg string) {
		got := scanBuildFacts(strings.NewReader(dockerfile), []string{arg})
		for _, h := range got.pulls {
			if h == "" || strings.ContainsAny(h, " \n\t") {
				t.Errorf("registry %q from %q", h, dockerfile)
			}
		}
	})
}
