package dockerfile

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/checks"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/copyflags"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/platform"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/reach"
)

func FuzzAnalyze(f *testing.F) {
	for _, src := range plainDockerfiles {
		f.Add([]byte(src))
	}
	for _, s := range []string{
		"FROM alpine\nRUN <<EOF\necho hi\nEOF\n",
		"FROM alpine\nRUN <<-EOF\n\techo hi\n\tEOF\n",
		"FROM alpine\nRUN cat <<A <<'B'\na\nA\nb\nB\n",
		"FROM alpine\nRUN <<EOF\n#!/bin/sh\necho hi\nEOF\n",
		"FROM alpine\nCOPY --chmod=755 <<a <<b /d/\nx\na\ny\nb\n",
		"FROM alpine\nRUN --mount=type=secret,id=npmrc,required --mount=type=cache,target=/c --network=none ls\n",
		"FROM alpine\nRUN --mount=type=ssh --security=sandbox --device=x ls\n",
		"FROM --platform=$BUILDPLATFORM alpine AS a\nADD --checksum=sha256:" + strings.Repeat("0", 64) + " https://e.x/a /a\n",
		"FROM alpine\nCOPY --chmod=a+rX,u-w a /b\nADD --chmod=g=u https://e.x/a /c\n",
		"FROM alpine\nADD --unpack=false a.tgz /b/\nADD --unpack a.tgz /c/\nADD --unpack=false https://e.x/a.tgz /d/\n",
		"FROM alpine\nCOPY --parents --exclude=x --link --from=a a /b\nADD --keep-git-dir --unpack https://github.com/a/b.git /c\n",
		"FROM alpine AS a\nFROM a\nCOPY --parents --exclude=x --exclude=!y/** --from=a a/./b* /c/\nADD --exclude=**/*.md --chmod=644 src /d/\nCOPY --exclude=$X --parents ${S}/./x* .\nCOPY --from=0 --exclude=a /\nCOPY --exclude=[ a /\n",
		"# escape=`\nFROM alpine\nRUN echo `\n <<EOF\nx\nEOF\nHEALTHCHECK --start-interval=1s CMD x\n",
		"FROM a\n# check=skip=JSONArgsRecommended\nRUN ls\nFROM b\nCOPY --from=0 /a /b\n",
		"FROM a AS b\nRUN x\nFROM scratch AS c\nCOPY --from=b /o /\nFROM a\nWORKDIR /w\nRUN --mount=from=b,source=/o --mount=from=c,rw --mount=type=cache,from=b,target=/c x",
		"FROM a\nRUN --mount=from=reg.io/x:1,source=/bin,target=/t --mount=type=bind,source=. x\n",
		"ARG T=cache\nFROM a\nARG M=0755\nENV S=1m\nRUN --mount=type=$T,target=/c,mode=$M,uid=\"1\" --mount=type=tmpfs,target=/t,size=${S} x\nADD --chmod=\"644\" --checksum=${D} \"https://e.x/a.git#$V\" /a\n",
		"# check=error=true;skip=JSONArgsRecommended;experimental=all\nfrom a as B\nENV A 1\nCMD x\nCMD y\nEXPOSE 1:2/TCP\n",
		"FROM a\nARG R=v1\nADD --keep-git-dir --checksum=abc123 --chown=1 \"https://h/o/r.git?ref=$R&subdir=s\" /d\nADD git@h:o/r.git#main:x y\nADD --keep-git-dir=false ssh://git@h:22/r.git?keep-git-dir=true /z\n",
		"# syntax=acme/x\nFROM a\nONBUILD RUN --mount=type=cache,target=/x <<EOF\nx\nEOF\nARG --x=1 A\n",
		"FROM a\nCOPY --from=lib [\"x\", \"/y\"]\nCOPY --from=0 . /z\nRUN --mount=from=lib,src=/s x\nFROM lib\n",
		"ARG B=ctx\nFROM $B AS ctx2\nRUN --mount=from=ctx,target=/t \\\n  --mount=type=bind,from=ctx2,target=/u x\nFROM ctx2\nCOPY --from=ctx /a /b\nFROM docker.io/library/ctx:latest AS ctx\nCOPY x /\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkPruned(t, src)
		checkBuildChecks(t, src)
		checkNamedContexts(t, src)
		// Every stage, so that what kaniko sees of each instruction is
		// checked; checkPruned covers the stages the target does not need.
		opts := testOpts()
		opts.AllStages = true
		res, probs := Analyze(src, opts)
		for _, p := range probs {
			if strings.Contains(p.Msg, "internal") {
				t.Fatalf("%s", p)
			}
		}
		ast, err := parser.Parse(bytes.NewReader(src))
		if err != nil {
			return
		}
		reported := map[int]bool{}
		for _, p := range append(probs, res.Warnings...) {
			reported[p.Line] = true
		}
		for _, n := range ast.AST.Children {
			if reported[n.StartLine] {
				continue
			}
			for _, fl := range n.Flags {
				if !kanikoHonours(n, fl, opts) && !represented(res, n, fl) {
					t.Errorf("line %d: %s %s is dropped silently", n.StartLine, n.Value, fl)
				}
			}
			if len(n.Heredocs) > 0 && !strings.EqualFold(n.Value, "onbuild") && !hasStep(res, n.StartLine) {
				t.Errorf("line %d: the heredocs of %s are dropped silently", n.StartLine, n.Value)
			}
		}
		if len(probs) == 0 {
			checkKanikoView(t, src, res)
			for _, s := range parseLikeKaniko(t, res.Dockerfile) {
				if s.heredocs > 0 && !strings.HasPrefix(strings.ToUpper(s.text), "ONBUILD") {
					t.Errorf("line %d: kaniko still sees heredocs", s.line)
				}
			}
		}
	})
}

// kanikoHonours is an independent statement of which flags kaniko
// implements itself, or which mean the same as what kaniko does anyway.
func kanikoHonours(n *parser.Node, flag string, opts Options) bool {
	name, val, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
	if val == "" && (name == "checksum" || name == "platform") {
		return true // BuildKit reads an empty value as no flag
	}
	switch strings.ToLower(n.Value) + " " + name {
	case "copy chmod", "add chmod":
		return !copyflags.Symbolic(val) // a symbolic one makes a pick step
	case "add unpack":
		// What kaniko does anyway: unpack local archives, not downloads;
		// --unpack=false of local files makes a pick step.
		return !strings.EqualFold(val, "false") || strings.Contains(n.Original, "://")
	case "copy from", "copy chown", "copy link", "add chown", "add link":
		return true
	case "healthcheck interval", "healthcheck timeout", "healthcheck start-period", "healthcheck retries":
		return n.Next == nil || !strings.EqualFold(n.Next.Value, "none")
	case "run network":
		return val == "default" || val == "host"
	case "run security":
		return val == "sandbox"
	case "from platform":
		host := runtime.GOOS + "/" + runtime.GOARCH
		switch val {
		case "$TARGETPLATFORM", "${TARGETPLATFORM}":
			return true
		case "$BUILDPLATFORM", "${BUILDPLATFORM}":
			return platform.Same(host, opts.Platform)
		}
		return platform.Same(val, opts.Platform)
	}
	return false
}

// represented reports whether a flag kaniko drops is carried by the
// result for the builder to implement.
func represented(res *Result, n *parser.Node, flag string) bool {
	name, val, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
	switch strings.ToLower(n.Value) + " " + name {
	case "run mount":
		for _, st := range res.Steps {
			if st.Line == n.StartLine && st.Helper && len(st.Mounts) == len(flagValues(n, "mount")) {
				return true
			}
		}
	case "healthcheck start-interval":
		// The builder writes it back from Result.Health (package health).
		return n.Next == nil || !strings.EqualFold(n.Next.Value, "none")
	case "copy parents", "copy exclude", "add exclude", "copy chmod", "add chmod", "add unpack":
		for _, st := range res.Steps {
			if st.Line == n.StartLine && st.Helper && st.Kind == "pick" && (st.Parents || name == "exclude" && slices.Contains(st.Exclude, val) || name == "chmod" && st.Chmod == val || name == "unpack" && !st.Add) {
				return true
			}
		}
	case "add checksum":
		for _, st := range res.Steps {
			if st.Line == n.StartLine && st.Helper && st.Kind == "add" && (st.Checksum == val || strings.ContainsAny(val, "$'\"\\")) {
				return true
			}
			if st.Line == n.StartLine && st.Helper && st.Kind == "git" && (st.Git.Checksum == strings.ToLower(val) || strings.ContainsAny(val, "$'\"\\")) {
				return true
			}
		}
	case "add keep-git-dir":
		for _, st := range res.Steps {
			if st.Line == n.StartLine && st.Helper && st.Kind == "git" && st.Git.KeepGitDir == !strings.EqualFold(val, "false") {
				return true
			}
		}
	}
	return false
}

func hasStep(res *Result, line int) bool {
	for _, st := range res.Steps {
		if st.Line == line {
			return true
		}
	}
	return false
}

// checkPruned analyses src for its last stage: every FROM kaniko sees
// stays where it was, as written or emptied into a scratch stage of the
// same name (see reach.Prune).
func checkPruned(t *testing.T, src []byte) {
	t.Helper()
	res, probs := Analyze(src, testOpts())
	for _, p := range probs {
		if strings.Contains(p.Msg, "internal") {
			t.Fatalf("%s", p)
		}
	}
	if len(probs) > 0 {
		return
	}
	// The lines that keep a mounted stage's files move the lines after
	// them down by one (see checkKanikoView).
	froms := func(b []byte, parse func(*testing.T, []byte) []seen) (out []seen) {
		added := 0
		for _, s := range parse(t, b) {
			if res.CacheBuster != "" && strings.Contains(s.text, res.CacheBuster) {
				added++
			}
			if f := strings.Fields(s.text); len(f) > 0 && strings.EqualFold(f[0], "FROM") {
				s.line -= added
				out = append(out, s)
			}
		}
		return out
	}
	before, after := froms(src, parsed), froms(res.Dockerfile, parseLikeKaniko)
	if len(before) != len(after) {
		t.Fatalf("kaniko sees %d stages, the Dockerfile has %d", len(after), len(before))
	}
	for i, b := range before {
		a := after[i]
		empty := "FROM scratch"
		if name := reach.Name(fromNode(t, b.line, src)); name != "" {
			empty += " AS " + name
		}
		if a.line != b.line || a.text != b.text && a.text != empty {
			t.Errorf("stage %d: kaniko sees %q on line %d, the Dockerfile has %q on line %d", i, a.text, a.line, b.text, b.line)
		}
	}
}

// fromNode is the instruction of src that starts on line.
func fromNode(t *testing.T, line int, src []byte) *parser.Node {
	t.Helper()
	ast, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ast.AST.Children {
		if n.StartLine == line {
			return n
		}
	}
	t.Fatalf("no instruction on line %d", line)
	return nil
}

// checkBuildChecks runs the build checks on src: they must not crash, and
// each finding names its line as docker build does.
func checkBuildChecks(t *testing.T, src []byte) {
	res, probs := Analyze(src, checkOpts())
	for _, p := range append(probs, res.Warnings...) {
		if strings.Contains(p.Msg, "internal") {
			t.Fatalf("%s", p)
		}
		if rule, _, ok := strings.Cut(p.Msg, ": "); ok && slices.Contains(checks.Rules, rule) && p.Line > 0 &&
			!strings.HasSuffix(p.Msg, fmt.Sprintf("(line %d)", p.Line)) {
			t.Errorf("%s: the message does not name line %d", p, p.Line)
		}
	}
}

// checkNamedContexts: with named contexts, Analyze never fails inside,
// every problem is on a line of the Dockerfile written, and kaniko's
// Dockerfile keeps its lines unless stages were added.
func checkNamedContexts(t *testing.T, src []byte) {
	opts := testOpts()
	opts.Contexts = map[string]named.Context{"ctx": {Image: "reg.example/ctx:1"}, "alpine": {Image: "reg.example/alpine@sha256:" + strings.Repeat("a", 64)}, "lib": {Dir: "/ws/lib", Digest: "sha256:00"}}
	res, probs := Analyze(src, opts)
	lines := bytes.Count(src, []byte("\n")) + 1
	for _, p := range probs {
		if strings.Contains(p.Msg, "internal") || p.Line > lines {
			t.Fatalf("%s (of %d lines)", p, lines)
		}
	}
	if len(probs) == 0 && !bytes.Contains(res.Dockerfile, []byte("kaniko-ecr")) && bytes.Count(res.Dockerfile, []byte("\n")) != bytes.Count(src, []byte("\n")) {
		t.Fatalf("lines changed:\n%s\n---\n%s", src, res.Dockerfile)
	}
}
