package dockerfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

var plainDockerfiles = map[string]string{
	"multi-stage go": `# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.26
FROM --platform=$TARGETPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -ldflags "-X main.version=${VERSION}" \
    -o /out/app ./cmd/app

FROM gcr.io/distroless/static:nonroot
LABEL org.opencontainers.image.title="app" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build --chown=65532:65532 /out/app /app
USER 65532
EXPOSE 8080/tcp
ENTRYPOINT ["/app"]
`,
	"continuations and comments": `FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8
# install packages
RUN apt-get update \
 # a comment inside a continuation
 && apt-get install -y --no-install-recommends ca-certificates curl \

 && rm -rf /var/lib/apt/lists/*
HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1
VOLUME ["/data"]
STOPSIGNAL SIGTERM
CMD ["bash"]
`,
	"escape backtick":         "# escape=`\r\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\r\nCOPY testfile.txt c:\\\r\nRUN dir c:\\ `\r\n    && echo done\r\nSHELL [\"powershell\", \"-Command\"]\r\nRUN Write-Host hi\r\n",
	"onbuild and odd spacing": "  FROM alpine:3.20 as base\n\n\tONBUILD RUN <<EOF\necho later\nEOF\nonbuild COPY . /app\nrun echo   lower case\nADD --chown=1:1 https://example.com/a.txt /a.txt\nCOPY --link a /b\nRUN --network=host echo host\n",
	"no trailing newline":     "FROM scratch\nCOPY a /",
}

func TestPlainDockerfilesChangeOnlyWhereKanikoWouldDiffer(t *testing.T) {
	for name, src := range plainDockerfiles {
		t.Run(name, func(t *testing.T) {
			res, probs := Analyze([]byte(src), testOpts())
			if len(probs) != 0 {
				t.Fatalf("problems:\n%s", messages(probs))
			}
			chowned := onlyKanikoFixes(t, name, []byte(src), res.Dockerfile, false)
			if len(res.Steps) != 0 || len(res.History) != chowned {
				t.Errorf("steps %v history %v, want %d entries", res.Steps, res.History, chowned)
			}
			checkKanikoView(t, []byte(src), res)
		})
	}
}

// onlyKanikoFixes checks that out is src but for the COPY and ADD of the
// build context without --chown, each given --chown=0:0 on one line (its
// continuation lines blank), and each VOLUME without variables, which
// becomes the ARG that stands for it; with pruned, lines may also be
// blank or become FROM scratch (the stages the target does not need). It
// returns how many instructions got --chown=0:0.
func onlyKanikoFixes(t *testing.T, name string, src, out []byte, pruned bool) int {
	t.Helper()
	ast, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	was, now := strings.Split(string(src), "\n"), strings.Split(string(out), "\n")
	if len(was) != len(now) {
		t.Fatalf("%s: %d lines became %d", name, len(was), len(now))
	}
	chowned, changed := 0, map[int]bool{}
	for _, n := range ast.AST.Children {
		if strings.EqualFold(n.Value, "volume") {
			got := strings.TrimRight(now[n.StartLine-1], "\r")
			if !strings.Contains(n.Original, "$") && got != "ARG "+volumeArg && !(pruned && got == "" && stageEmptied(now, n.StartLine)) {
				t.Errorf("%s:%d: %q became %q, want it taken from kaniko", name, n.StartLine, strings.TrimSpace(n.Original), got)
			}
			for l := n.StartLine; l <= n.EndLine; l++ {
				changed[l] = true
			}
			continue
		}
		if !contextCopy(append([]string{n.Value}, n.Flags...)) || slices.ContainsFunc(n.Flags, hasChown) {
			continue
		}
		if got := strings.TrimRight(now[n.StartLine-1], "\r"); got != edits.WithFlag(n.Original, "--chown=0:0") && !(pruned && got == "" && stageEmptied(now, n.StartLine)) {
			t.Errorf("%s:%d: %q became %q, want it owned by root", name, n.StartLine, strings.TrimSpace(n.Original), got)
		}
		chowned++
		for l := n.StartLine; l <= n.EndLine; l++ {
			changed[l] = true
		}
	}
	for i := range was {
		blank := strings.TrimRight(now[i], "\r") == ""
		if was[i] != now[i] && !changed[i+1] && !(pruned && (blank || strings.HasPrefix(now[i], "FROM scratch"))) {
			t.Errorf("%s:%d: %q became %q", name, i+1, was[i], now[i])
		}
	}
	return chowned
}

// stageEmptied says whether the stage that line (1-based) is in became a
// FROM scratch stage of nothing but blank lines, as reach.Prune empties a
// stage the target does not need.
func stageEmptied(lines []string, line int) bool {
	for i := line - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "FROM ") {
			return strings.HasPrefix(l, "FROM scratch")
		}
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return false
}

// kaniko's own integration Dockerfiles must come back unchanged but where
// kaniko would build them differently from BuildKit.
func TestKanikoIntegrationDockerfilesChangeOnlyWhereKanikoWouldDiffer(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/chainguard-dev/kaniko").Output()
	dir := filepath.Join(strings.TrimSpace(string(out)), "integration", "dockerfiles")
	files, _ := filepath.Glob(filepath.Join(dir, "Dockerfile*"))
	if err != nil || len(files) == 0 {
		t.Skip("kaniko's sources are not in the module cache")
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".dockerignore") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all := testOpts()
		all.AllStages = true
		res, probs := Analyze(src, all)
		if len(probs) != 0 {
			t.Errorf("%s:\n%s", f, messages(probs))
		} else {
			onlyKanikoFixes(t, f, src, res.Dockerfile, false)
		}
		// Building only what the target needs empties the other stages,
		// and changes nothing else.
		res, probs = Analyze(src, testOpts())
		if len(probs) != 0 {
			t.Errorf("%s:\n%s", f, messages(probs))
			continue
		}
		onlyKanikoFixes(t, f, src, res.Dockerfile, true)
	}
}

func TestHeredocsRewriteAsBuildKitRunsThem(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"single heredoc runs its body in the shell",
			"RUN <<EOF\necho $HOME\necho \"quoted\"\nEOF\n",
			"RUN [\"/bin/sh\",\"-c\",\"echo $HOME\\necho \\\"quoted\\\"\\n\"]\n\n\n\n"},
		{"dash strips leading tabs",
			"RUN <<-EOF\n\techo a\n\t\techo b\n\tEOF\n",
			"RUN [\"/bin/sh\",\"-c\",\"echo a\\necho b\\n\"]\n\n\n\n"},
		{"quoted delimiter is passed the same way",
			"RUN <<\"EOF\"\necho $X <tag> & done\nEOF\n",
			"RUN [\"/bin/sh\",\"-c\",\"echo $X <tag> & done\\n\"]\n\n\n"},
		{"heredoc fed to a command goes to the shell whole",
			"RUN cat <<EOF > /etc/motd\nhello\nEOF\n",
			"RUN [\"/bin/sh\",\"-c\",\"cat <<EOF > /etc/motd\\nhello\\nEOF\"]\n\n\n"},
		{"several heredocs go to the shell whole, tabs included",
			"RUN <<A <<-B\necho a\nA\n\techo b\n\tB\n",
			"RUN [\"/bin/sh\",\"-c\",\"<<A <<-B\\necho a\\nA\\n\\techo b\\nB\"]\n\n\n\n\n"},
		{"heredoc on a file descriptor",
			"RUN cat 3<<EOF /dev/fd/3\nx\nEOF\n",
			"RUN [\"/bin/sh\",\"-c\",\"cat 3<<EOF /dev/fd/3\\nx\\nEOF\"]\n\n\n"},
		{"continuation before the heredoc",
			"RUN --network=host \\\n  cat <<EOF\nx\nEOF\n",
			"RUN [\"/bin/sh\",\"-c\",\"cat <<EOF\\nx\\nEOF\"]\n\n\n\n"},
		{"SHELL changes the shell",
			"SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN <<EOF\nset -x\nEOF\n",
			"SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN [\"/bin/bash\",\"-eo\",\"pipefail\",\"-c\",\"set -x\\n\"]\n\n\n"},
		{"CRLF line endings are kept",
			"RUN <<EOF\r\necho a\r\nEOF\r\nRUN ls\r\n",
			"RUN [\"/bin/sh\",\"-c\",\"echo a\\r\\n\"]\r\n\r\n\r\nRUN ls\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, probs := Analyze([]byte("FROM alpine\n"+c.src), testOpts())
			if len(probs) != 0 {
				t.Fatalf("problems:\n%s", messages(probs))
			}
			if got := string(res.Dockerfile); got != "FROM alpine\n"+c.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, "FROM alpine\n"+c.want)
			}
			checkKanikoView(t, []byte("FROM alpine\n"+c.src), res)
		})
	}
}

func TestEscapeDirectiveIsHonouredInRewrites(t *testing.T) {
	src := "# escape=`\nFROM alpine\nRUN echo a `\n  && cat <<EOF\nC:\\path\\\nEOF\nRUN echo `\n  b\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	want := "# escape=`\nFROM alpine\nRUN [\"/bin/sh\",\"-c\",\"echo a   && cat <<EOF\\nC:\\\\path\\\\\\nEOF\"]\n\n\n\nRUN echo `\n  b\n"
	if string(res.Dockerfile) != want {
		t.Errorf("got:\n%q\nwant:\n%q", res.Dockerfile, want)
	}
	if res.Steps[0].Escape != "`" {
		t.Errorf("escape %q", res.Steps[0].Escape)
	}
	checkKanikoView(t, []byte(src), res)
}

func TestInstructionsNeedingTheBuildRootRunTheStepHelper(t *testing.T) {
	cases := []struct{ name, src string }{
		{"shebang heredoc", "RUN <<EOF\n#!/usr/bin/env python3\nprint('hi')\nEOF\n"},
		{"mount", "RUN --mount=type=cache,target=/root/.cache go build ./...\n"},
		{"mount and heredoc", "RUN --mount=type=secret,id=npmrc,target=/root/.npmrc <<EOF\nnpm ci\nEOF\n"},
		{"copy heredoc", "COPY <<EOF /etc/app.conf\nport=8080\nEOF\n"},
		{"copy heredocs with flags", "COPY --chmod=0755 --chown=app:app <<a.sh <<b.sh /usr/local/bin/\n#!/bin/sh\nA\na.sh\n#!/bin/sh\nB\nb.sh\n"},
		{"add heredoc", "ADD <<EOF /a\nx\nEOF\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := []byte("FROM alpine\n" + c.src)
			res, probs := Analyze(src, testOpts())
			if len(probs) != 0 {
				t.Fatalf("problems:\n%s", messages(probs))
			}
			if len(res.Steps) != 1 || !res.Steps[0].Helper {
				t.Fatalf("steps %+v", res.Steps)
			}
			want := `RUN ["/kaniko/kaniko-ecr","step","/kaniko/steps/` + res.Steps[0].ID + `.json"]`
			lines := strings.Split(string(res.Dockerfile), "\n")
			if lines[1] != want || strings.Count(string(res.Dockerfile), "\n") != strings.Count(string(src), "\n") {
				t.Errorf("got:\n%s\nwant line 2 %s", res.Dockerfile, want)
			}
			checkKanikoView(t, src, res)
		})
	}
}

func TestCreatedByCollisionsFallBackToTheHelper(t *testing.T) {
	src := "FROM alpine\nRUN [\"/bin/sh\",\"-c\",\"ls\\n\"]\nRUN <<EOF\nls\nEOF\nRUN <<-EOF\nls\nEOF\nrun <<EOF\nls\nEOF\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 {
		t.Fatalf("problems:\n%s", messages(probs))
	}
	if len(res.Steps) != 3 {
		t.Fatalf("steps %+v", res.Steps)
	}
	for _, st := range res.Steps {
		if !st.Helper {
			t.Errorf("line %d: a taken created_by was reused", st.Line)
		}
	}
	checkKanikoView(t, []byte(src), res)
}

func TestHeredocsTooLongForOneLineRunTheStepHelper(t *testing.T) {
	body := strings.Repeat("echo 0123456789012345678901234567890123456789\n", 2000)
	res, probs := Analyze([]byte("FROM alpine\nRUN <<EOF\n"+body+"EOF\n"), testOpts())
	if len(probs) != 0 || len(res.Steps) != 1 || !res.Steps[0].Helper {
		t.Fatalf("problems %v steps %d", probs, len(res.Steps))
	}
	if res.Steps[0].Args[2] != body {
		t.Error("body changed")
	}
}

// checkKanikoView parses the rewritten Dockerfile the way kaniko does and
// checks that it sees the same instructions in the same order, nothing it
// would drop, and a created_by for every rewrite that History maps back to
// the instruction as written.
func checkKanikoView(t *testing.T, src []byte, res *Result) {
	t.Helper()
	before := parsed(t, src)
	var after []seen
	// The lines that keep a mounted stage's files (see keepFiles) are the
	// only instructions added; each moves the lines after it down by one.
	// (A rewritten COPY from a stage carries the cache buster too, and
	// has a history.)
	added := 0
	for _, s := range parseLikeKaniko(t, res.Dockerfile) {
		if res.CacheBuster != "" && strings.Contains(s.text, res.CacheBuster) && res.History[s.text] == "" {
			added++
			continue
		}
		s.line -= added
		after = append(after, s)
	}
	if len(before) != len(after) {
		t.Fatalf("kaniko sees %d instructions, the Dockerfile has %d", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.line != b.line {
			t.Errorf("instruction %d moved from line %d to %d", i, b.line, a.line)
		}
		if a.text == b.text {
			continue
		}
		if a.text == "ARG "+volumeArg && strings.EqualFold(b.flags[0], "volume") {
			continue // the builder adds the volume; kaniko records no history for either
		}
		rootOwned := a.text == edits.WithFlag(b.text, "--chown=0:0")
		if !rootOwned && (!strings.HasPrefix(a.text, "RUN [") || a.heredocs != 0) {
			t.Errorf("line %d: kaniko would see %q", a.line, a.text)
		}
		if res.History[a.text] != b.original {
			t.Errorf("line %d: history maps %q to %q, want %q", a.line, a.text, res.History[a.text], b.original)
		}
	}
	for _, a := range after {
		if contextCopy(a.flags) && !slices.ContainsFunc(a.flags, hasChown) {
			t.Errorf("line %d: kaniko would copy the context with the checkout's owners: %q", a.line, a.text)
		}
		if strings.EqualFold(a.flags[0], "volume") && !strings.Contains(a.text, "$") {
			t.Errorf("line %d: kaniko would leave what is written under the volume out of the layers: %q", a.line, a.text)
		}
	}
}

// hasChown says whether a flag sets an owner (an empty --chown= sets none).
func hasChown(f string) bool { return strings.HasPrefix(f, "--chown=") && f != "--chown=" }

// contextCopy says whether kaniko copies files of the build context for an
// instruction with these words: an ADD, or a COPY without --from.
func contextCopy(words []string) bool {
	if len(words) == 0 {
		return false
	}
	switch strings.ToUpper(words[0]) {
	case "ADD":
		return true
	case "COPY":
		return !slices.ContainsFunc(words, func(f string) bool { return strings.HasPrefix(f, "--from=") })
	}
	return false
}

type seen struct {
	line           int
	text, original string
	heredocs       int
	flags          []string // the instruction's name and flags
}

func parseLikeKaniko(t *testing.T, src []byte) []seen {
	t.Helper()
	ast, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if _, _, err := instructions.Parse(ast.AST, &linter.Linter{}); err != nil {
		t.Fatalf("instructions: %v", err)
	}
	return parsed(t, src)
}

// parsed is the instructions of src as BuildKit's parser sees them, with
// no check of their flags (kaniko's parser crashes on some Dockerfiles
// BuildKit builds; the front end rewrites them).
func parsed(t *testing.T, src []byte) []seen {
	t.Helper()
	ast, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var out []seen
	for _, n := range ast.AST.Children {
		out = append(out, seen{line: n.StartLine, text: strings.TrimSpace(n.Original), original: step.Original(n), heredocs: len(n.Heredocs), flags: append([]string{n.Value}, n.Flags...)})
	}
	return out
}
