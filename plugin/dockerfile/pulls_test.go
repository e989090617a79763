package dockerfile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPullsNameTheRegistriesTheBuildPullsFrom(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	for _, tc := range []struct {
		name, dockerfile string
		args             []string
		want             []string
		unknown          bool
	}{
		{"scratch only", "FROM scratch\nCOPY busybox /bin/busybox\n", nil, nil, false},
		{"Docker Hub short name", "FROM alpine:3.20\nRUN true\n", nil, []string{"index.docker.io"}, false},
		{"ECR base", "FROM " + ecr + "/base/node:20\n", nil, []string{ecr}, false},
		{"global ARG default", "ARG BASE=quay.io/x/y\nFROM ${BASE}\n", nil, []string{"quay.io"}, false},
		{"build arg overrides the default", "ARG BASE=quay.io/x/y\nFROM $BASE\n", []string{"BASE=" + ecr + "/b"}, []string{ecr}, false},
		{"default in the reference", "ARG TAG\nFROM ghcr.io/a/b:${TAG:-1}\n", nil, []string{"ghcr.io"}, false},
		{"undeclared ARG: unknown", "FROM ${BASE}\n", []string{"BASE=quay.io/x"}, nil, true},
		{"stage names and flags", "FROM --platform=$BUILDPLATFORM golang:1 AS Build\nRUN go build\nFROM build AS test\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\n", nil, []string{"index.docker.io"}, false},
		{"COPY --from an image", "FROM scratch\nCOPY --from=" + ecr + "/tools:1 /t /t\n", nil, []string{ecr}, false},
		{"continuation and comments", "# FROM quay.io/ignored\nFROM \\\n  gcr.io/distroless/static\nRUN echo a \\\n  b\n", nil, []string{"gcr.io"}, false},
		{"lower-case instructions", "from public.ecr.aws/docker/library/busybox\nrun true\n", nil, []string{"public.ecr.aws"}, false},
		{"not a reference", "FROM Not:A:Ref\n", nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts()
			opts.BuildArgs = tc.args
			res, _ := Analyze([]byte(tc.dockerfile), opts)
			if d := cmp.Diff(tc.want, res.Pulls); d != "" || res.PullsUnknown != tc.unknown {
				t.Errorf("pulls (-want +got):\n%s; unknown %v, want %v", d, res.PullsUnknown, tc.unknown)
			}
		})
	}
}

// Any Dockerfile text and build arg gives registries that a reference
// could name, without panicking.
func FuzzPulls(f *testing.F) {
	f.Add("ARG B=x\nFROM ${B:-y} AS s\nCOPY --from=s / /\nRUN a \\\n b\n", "quay.io/z")
	f.Add("FROM scratch\n", "")
	f.Fuzz(func(t *testing.T, dockerfile, arg string) {
		opts := testOpts()
		opts.BuildArgs = []string{"B=" + arg}
		res, _ := Analyze([]byte(dockerfile), opts)
		for _, h := range res.Pulls {
			if h == "" || strings.ContainsAny(h, " \n\t") {
				t.Errorf("registry %q from %q", h, dockerfile)
			}
		}
	})
}
