package dockerfile

import (
	"reflect"
	"strings"
	"testing"
)

// Like BuildKit, only the stages the target needs are built, so only their
// instructions can refuse the Dockerfile or pull; PLUGIN_SKIP_UNUSED_STAGES
// =false (AllStages) checks every stage, as kaniko builds them all.
func TestOnlyTheStagesTheTargetNeedsAreChecked(t *testing.T) {
	const sideStages = "FROM --platform=linux/s390x ghcr.io/o/lint AS lint\nRUN --security=insecure lint\n" +
		"FROM quay.io/o/base AS build\nRUN make\n" +
		"FROM build AS test\nRUN --mount=type=bind,from=lint,source=/x,target=/x make test\n"
	for _, tc := range []struct {
		name, src, target string
		all               bool
		problems          string // substrings, "|"-separated; "" for none
		pulls             []string
	}{
		{"side stages of the last one are not checked", sideStages + "FROM alpine\nCOPY --from=build /a /a\n", "", false, "",
			[]string{"quay.io", "index.docker.io"}},
		{"with every stage they are", sideStages + "FROM alpine\nCOPY --from=build /a /a\n", "", true,
			"Dockerfile:1: FROM --platform=linux/s390x|Dockerfile:2: RUN --security=insecure", []string{"ghcr.io", "quay.io", "index.docker.io"}},
		{"a target reaches through FROM and mount from=", sideStages + "FROM alpine\n", "test", false,
			"Dockerfile:1: FROM --platform=linux/s390x|Dockerfile:2: RUN --security=insecure", []string{"ghcr.io", "quay.io"}},
		{"a target reaches by COPY --from index", "FROM --platform=linux/s390x a AS zero\nFROM b\nCOPY --from=0 /a /a\n", "", false,
			"Dockerfile:1: FROM --platform=linux/s390x", []string{"index.docker.io"}},
		{"stage names in flags expand with global ARGs", "ARG SRC=side\nFROM --platform=linux/s390x a AS side\nFROM b\nCOPY --from=${SRC} /a /a\n", "", false,
			"Dockerfile:2: FROM --platform=linux/s390x", []string{"index.docker.io"}},
		{"a parse error counts in any stage, as BuildKit parses them all", "FROM a AS x\nFETCH y\nFROM b\n", "", false,
			"Dockerfile:2: unknown instruction: FETCH", []string{"index.docker.io"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts()
			opts.Target, opts.AllStages = tc.target, tc.all
			res, probs := Analyze([]byte(tc.src), opts)
			got := messages(probs)
			if tc.problems == "" && got != "" {
				t.Errorf("problems:\n%s want none", got)
			}
			for _, want := range strings.Split(tc.problems, "|") {
				if want != "" && !strings.Contains(got, want) {
					t.Errorf("problems:\n%swant one containing %q", got, want)
				}
			}
			if !reflect.DeepEqual(res.Pulls, tc.pulls) {
				t.Errorf("pulls %q, want %q", res.Pulls, tc.pulls)
			}
		})
	}
}

// FROM --platform resolves with BuildKit's word expansion: the automatic
// platform ARGs, defaults (${BUILDPLATFORM:-linux/amd64}) and global ARGs.
func TestFromPlatformExpandsAsBuildKitExpandsIt(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"target platform", "FROM --platform=$TARGETPLATFORM a\n", ""},
		{"build platform with a default", "FROM --platform=${BUILDPLATFORM:-linux/amd64} a\n", ""},
		{"target os and arch", "FROM --platform=${TARGETOS}/${TARGETARCH} a\n", ""},
		{"global ARG that matches", "ARG P=linux/amd64\nFROM --platform=$P a\n", ""},
		{"global ARG that differs", "ARG P=linux/s390x\nFROM --platform=$P a\n", `Dockerfile:2: FROM --platform=$P: resolves to "linux/s390x"; kaniko pulls every base image for linux/amd64`},
		{"an unset variable", "FROM --platform=$NOPE a\n", "Dockerfile:1: FROM --platform=$NOPE: empty platform value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Analyze([]byte(tc.src), testOpts())
			got := messages(probs)
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("problems:\n%swant %q", got, tc.want)
			}
		})
	}
}
