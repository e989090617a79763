package dockerfile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// testOpts is a typical helper setup with one secret and no SSH agent.
func testOpts() Options {
	return Options{
		File:     "Dockerfile",
		Secrets:  map[string]bool{"npmrc": true},
		Helper:   "/kaniko/kaniko-ecr",
		StepDir:  "/kaniko/steps",
		Platform: "linux/amd64",
	}
}

func messages(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Each case puts the instruction on line 2 (after FROM) unless it is a
// directive or a FROM itself.
func TestRefusedFormsAreProblemsNamingFileLineAndFlag(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown mount type", "RUN --mount=type=foo ls", "Dockerfile:2: RUN --mount=type=foo: unknown mount type (want bind, cache, secret, ssh or tmpfs)"},
		{"mount type in capitals still checked", "RUN --mount=target=/x,TYPE=nfs ls", "Dockerfile:2: RUN --mount=target=/x,TYPE=nfs: unknown mount type"},
		{"unknown mount option", "RUN --mount=type=cache,target=/x,colour=red ls", "Dockerfile:2: RUN --mount=type=cache,target=/x,colour=red: unexpected key 'colour'"},
		{"bad sharing", "RUN --mount=type=cache,target=/x,sharing=all ls", "Dockerfile:2: RUN --mount=type=cache,target=/x,sharing=all: unsupported sharing value"},
		{"mode on bind", "RUN --mount=type=bind,target=/x,mode=0700 ls", "Dockerfile:2: RUN --mount=type=bind,target=/x,mode=0700: mode not allowed"},
		{"size on cache", "RUN --mount=type=cache,target=/x,size=1m ls", "Dockerfile:2: RUN --mount=type=cache,target=/x,size=1m: unexpected key 'size'"},
		{"bad uid", "RUN --mount=type=cache,target=/x,uid=me ls", "Dockerfile:2: RUN --mount=type=cache,target=/x,uid=me: invalid value me for uid"},
		{"undefined variable in type", "RUN --mount=type=$T,target=/x ls", "Dockerfile:2: RUN --mount=type=$T,target=/x: type uses $T, which the Dockerfile does not define"},
		{"variable with a bad value", "ARG T=disk\nRUN --mount=type=$T,target=/x ls", "Dockerfile:3: RUN --mount=type=$T,target=/x: unknown mount type"},
		{"from with variable", "RUN --mount=type=bind,from=$S,target=/x ls", "Dockerfile:2: RUN: 'from' doesn't support variable expansion"},
		{"option without value", "RUN --mount=type=cache,target=/x,id ls", "Dockerfile:2: RUN --mount=type=cache,target=/x,id: invalid field 'id' must be a key=value pair"},
		{"required on bind", "RUN --mount=type=bind,target=/x,required ls", "unexpected key 'required' for mount type 'bind'"},
		{"secret from a stage", "RUN --mount=type=secret,id=a,from=b ls", "secret mount should not have a from"},
		{"secret without id or target", "RUN --mount=type=secret ls", "invalid secret mount. one of source, target required"},
		{"secret env empty", "RUN --mount=type=secret,id=a,env= ls", "Dockerfile:2: RUN --mount=type=secret,id=a,env=: env needs a variable name"},
		{"cache over root", "RUN --mount=type=cache,target=/ ls", "Dockerfile:2: RUN --mount=type=cache,target=/: cannot mount over /"},
		{"ssh with source", "RUN --mount=type=ssh,source=x ls", "Dockerfile:2: RUN --mount=type=ssh,source=x: an ssh mount takes no source"},
		{"required secret missing", "RUN --mount=type=secret,id=token,required=true ls", `Dockerfile:2: RUN --mount=type=secret,id=token,required=true: required secret "token" is not provided`},
		{"required secret via target", "RUN --mount=type=secret,target=/etc/token,required ls", `required secret "token" is not provided`},
		{"required secret id variable", "RUN --mount=type=secret,id=$ID,required ls", "a required secret's id cannot use a variable"},
		{"secret id from a variable target", "RUN --mount=type=secret,target=$HOME/.npmrc ls", "Dockerfile:2: RUN --mount=type=secret,target=$HOME/.npmrc: a secret whose target uses a variable needs an id"},
		{"required ssh without key", "RUN --mount=type=ssh,required ls", "Dockerfile:2: RUN --mount=type=ssh,required: required ssh agent is not available"},
		{"network unknown", "RUN --network=bridge ls", "Dockerfile:2: RUN --network=bridge: unknown network mode (want default, host or none)"},
		{"security insecure", "RUN --security=insecure ls", "Dockerfile:2: RUN --security=insecure: cannot grant extra privileges here"},
		{"security unknown", "RUN --security=root ls", "Dockerfile:2: RUN --security=root: unknown security mode (want sandbox)"},
		{"device", "RUN --device=nvidia.com/gpu=all ls", "Dockerfile:2: RUN --device=nvidia.com/gpu=all: devices cannot be attached here"},
		{"unknown flag", "RUN --mont=type=cache ls", "Dockerfile:2: RUN: unknown flag: --mont"},
		{"copy from a later stage index", "COPY --from=1 /a /b", "Dockerfile:2: COPY --from=1: no earlier stage has that index"},
		{"copy exclude from an image", "COPY --from=reg.io/x:1 --exclude=*.md . /src/", "Dockerfile:2: COPY --from=reg.io/x:1: with --parents, --exclude or a symbolic --chmod, name an earlier stage here (images are not supported)"},
		{"add exclude of a download", "ADD --exclude=*.md https://e.x/a /src/", "Dockerfile:2: ADD https://e.x/a: --exclude and a symbolic --chmod are supported here for files of the context or a stage, not downloads"},
		{"copy exclude bad pattern", "COPY --exclude=a[ . /src/", "Dockerfile:2: COPY --exclude: "},
		{"copy exclude with heredocs", "COPY --exclude=x <<EOF /d/\nhi\nEOF", "Dockerfile:2: COPY: heredocs cannot be combined with --parents, --exclude or a symbolic --chmod here"},
		{"add unpack of a download", "ADD --unpack=true https://example.com/a.tgz /a", "Dockerfile:2: ADD --unpack=true https://example.com/a.tgz: downloads are not unpacked here"},
		{"checksum sha512", "ADD --checksum=sha512:" + strings.Repeat("ab", 64) + " https://example.com/a /a", "Dockerfile:2: ADD --checksum=sha512:abab"},
		{"add keep-git-dir of a download", "ADD --keep-git-dir=true https://example.com/a.tgz /src", "Dockerfile:2: ADD --keep-git-dir: applies to a git source only"},
		{"add git with another source", "ADD https://github.com/moby/buildkit.git#v0.29.0 a.txt /src/", "Dockerfile:2: ADD https://github.com/moby/buildkit.git#v0.29.0: a git source must be the only source of its ADD here"},
		{"add git keep-git-dir disagrees", "ADD --keep-git-dir=false https://github.com/o/r.git?keep-git-dir=true /src", "Dockerfile:2: ADD https://github.com/o/r.git?keep-git-dir=true: inconsistent keep-git-dir configuration"},
		{"add git checksum no commit", "ADD --checksum=sha256:" + strings.Repeat("ab", 32) + " git@github.com:o/r.git /src", "is not a commit (hex digits)"},
		{"add git undefined variable", "ADD https://github.com/o/r.git#$REF /src", "Dockerfile:2: ADD https://github.com/o/r.git#$REF: uses $REF, which the Dockerfile does not define"},
		{"add git unknown query", "ADD https://github.com/o/r.git?depth=1 /src", `Dockerfile:2: ADD https://github.com/o/r.git?depth=1: unexpected query "depth"`},
		{"add git with exclude", "ADD --exclude=*.md https://github.com/o/r.git /src", "Dockerfile:2: ADD https://github.com/o/r.git: --exclude and a symbolic --chmod are supported here for files of the context or a stage, not git sources"},
		{"add git with a symbolic chmod", "ADD --chmod=u+x https://github.com/o/r.git /src", "not git sources"},
		{"checksum short", "ADD --checksum=sha256:abc https://example.com/a /a", "Dockerfile:2: ADD --checksum=sha256:abc: want sha256:<64 lower-case hex digits>"},
		{"checksum upper case", "ADD --checksum=sha256:" + strings.Repeat("AB", 32) + " https://example.com/a /a", "want sha256:<64 lower-case hex digits>"},
		{"checksum local", "ADD --checksum=sha256:" + strings.Repeat("ab", 32) + " a.tgz /a", "the source must be an http(s) URL"},
		{"checksum two sources", "ADD --checksum=sha256:" + strings.Repeat("ab", 32) + " https://example.com/a https://example.com/b /d/", "needs exactly one source, an http(s) URL"},
		{"chmod neither octal nor symbolic", "COPY --chmod=u+q run.sh /", "Dockerfile:2: COPY --chmod=u+q: want an octal mode up to 7777 or a symbolic one such as u+x,go-w"},
		{"symbolic chmod of a download", "ADD --chmod=u+x --checksum=sha256:" + strings.Repeat("a", 64) + " https://e.x/a /a", "Dockerfile:2: ADD --chmod=u+x: a symbolic mode is supported here for files of the context or a stage, not downloads"},
		{"symbolic chmod of heredocs", "COPY --chmod=go-w <<EOF /d/a\nhi\nEOF", "Dockerfile:2: COPY: heredocs cannot be combined with --parents, --exclude or a symbolic --chmod here"},
		{"chmod too big", "ADD --chmod=17777 run.sh /", "Dockerfile:2: ADD --chmod=17777: want an octal mode up to 7777"},
		{"heredoc mixed with files", "COPY a.txt <<EOF /d/\nhi\nEOF", "Dockerfile:2: COPY: heredocs cannot be mixed with other sources here"},
		{"heredoc from a stage", "COPY --from=build <<EOF /d\nhi\nEOF", "Dockerfile:2: COPY --from=build: cannot be combined with heredoc sources here"},
		{"heredoc with a path name", "COPY <<a/b /d/\nhi\na/b", "Dockerfile:2: COPY <<a/b: a heredoc used as a file needs a plain file name"},
		{"heredoc not utf-8", "RUN <<EOF\necho \xff\nEOF", "Dockerfile:2: RUN <<EOF: the heredoc is not valid UTF-8 text"},
		{"heredoc with NUL", "RUN <<EOF\necho \x00\nEOF", "Dockerfile:2: RUN <<EOF: the heredoc contains a NUL byte"},
		{"command not utf-8", "RUN --mount=type=tmpfs,target=/t echo \xfe", "Dockerfile:2: the instruction must be valid UTF-8 text without NUL bytes"},
		{"command with NUL", "RUN --mount=type=tmpfs,target=/t echo \x00", "Dockerfile:2: the instruction must be valid UTF-8 text without NUL bytes"},
		{"unterminated heredoc", "RUN <<EOF\necho hi", "Dockerfile:2: unterminated heredoc"},
		{"healthcheck none with flags", "HEALTHCHECK --interval=5s NONE", "Dockerfile:2: HEALTHCHECK --interval=5s: HEALTHCHECK NONE takes no flags"},
		{"arg with flags", "ARG --global=1 X", "Dockerfile:2: ARG --global=1: ARG takes no flags"},
		{"stopsignal with flags", "STOPSIGNAL --now SIGTERM", "Dockerfile:2: STOPSIGNAL --now: STOPSIGNAL takes no flags"},
		{"unknown instruction", "FETCH x", "Dockerfile:2: unknown instruction: FETCH"},
		{"duplicate stage", "FROM alpine AS base", `Dockerfile:2: FROM: duplicate stage name "base"`},
		{"platform literal", "FROM --platform=linux/s390x alpine", "Dockerfile:2: FROM --platform=linux/s390x: kaniko pulls every base image for linux/amd64"},
		{"platform variable", "FROM --platform=$PLAT alpine", "Dockerfile:2: FROM --platform=$PLAT: empty platform value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, probs := Analyze([]byte("FROM alpine AS base\n"+c.src+"\n"), testOpts())
			if !strings.Contains(messages(probs), c.want) {
				t.Errorf("problems:\n%swant one containing %q", messages(probs), c.want)
			}
		})
	}
}

func TestCustomSyntaxFrontendIsRefused(t *testing.T) {
	for _, ref := range []string{
		"example.com/acme/frontend:1",
		"docker/dockerfile:0.9",
		"docker/dockerfile:12",
		"ghcr.io/docker/dockerfile:1",
	} {
		_, probs := Analyze([]byte("# syntax="+ref+"\nFROM alpine\n"), testOpts())
		want := "Dockerfile:1: # syntax=" + ref + ": a custom frontend cannot run here"
		if !strings.Contains(messages(probs), want) {
			t.Errorf("%s: problems:\n%swant %q", ref, messages(probs), want)
		}
	}
}

func TestOfficialSyntaxFrontendVersionOneIsAccepted(t *testing.T) {
	for _, ref := range []string{
		"docker/dockerfile:1", "docker/dockerfile:1.4", "docker/dockerfile:1.7.1",
		"docker/dockerfile:1.7-labs", "docker/dockerfile:1-labs", "docker/dockerfile:labs",
		"docker.io/docker/dockerfile:1", "docker/dockerfile", "docker/dockerfile:latest",
		"docker/dockerfile:1.7@sha256:" + strings.Repeat("0a", 32),
	} {
		res, probs := Analyze([]byte("# syntax="+ref+"\nFROM alpine\n"), testOpts())
		if len(probs) != 0 || len(res.Warnings) != 0 {
			t.Errorf("%s: problems:\n%swarnings:\n%s", ref, messages(probs), messages(res.Warnings))
		}
	}
}

func TestProblemsAreAllReportedSortedByLine(t *testing.T) {
	src := "# syntax=acme/x\nFROM alpine\nRUN --security=insecure ls\nADD --exclude=a https://e.x/a /b/\nRUN --mount=type=nope ls\n"
	res, probs := Analyze([]byte(src), testOpts())
	var lines []int
	for _, p := range probs {
		lines = append(lines, p.Line)
	}
	if want := []int{1, 3, 4, 5}; !equalInts(lines, want) {
		t.Errorf("lines %v, want %v:\n%s", lines, want, messages(probs))
	}
	if res.Dockerfile != nil {
		t.Error("a Dockerfile was returned despite problems")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWarningsNameTheLineAndDoNotStopTheBuild(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"network none", "FROM alpine\nRUN --network=none make test\n", "Dockerfile:2: RUN --network=none: cannot be enforced in-process"},
		{"maintainer", "FROM alpine\nMAINTAINER me@example.com\n", "Dockerfile:2: MAINTAINER: kaniko ignores it"},
		{"check directive", "# check=error=true\nFROM alpine\n", "Dockerfile:1: # check=error=true: build checks are off (PLUGIN_BUILD_CHECKS=false)"},
		{"build platform differs", "FROM --platform=$BUILDPLATFORM alpine\n", "Dockerfile:1: FROM --platform=$BUILDPLATFORM: kaniko pulls this stage for linux/riscv64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOpts()
			opts.Platform = "linux/riscv64"
			res, probs := Analyze([]byte(c.src), opts)
			if len(probs) != 0 {
				t.Fatalf("problems:\n%s", messages(probs))
			}
			if !strings.Contains(messages(res.Warnings), c.want) {
				t.Errorf("warnings:\n%swant %q", messages(res.Warnings), c.want)
			}
			if res.Dockerfile == nil {
				t.Error("no Dockerfile")
			}
		})
	}
}

func TestEquivalentFlagsAreAcceptedSilently(t *testing.T) {
	sum := "sha256:" + strings.Repeat("0f", 32)
	for _, src := range []string{
		"RUN --network=host curl example.com",
		"RUN --network=default ls",
		"RUN --security=sandbox ls",
		"COPY --link --chown=1:1 --chmod=0644 a /b",
		"ADD --link a.tgz /b/",
		"ADD --checksum=" + sum + " https://example.com/a.tgz /a.tgz",
		"COPY --from=base /etc/passwd /p",
		"RUN --mount=type=secret,id=absent cat /run/secrets/absent || true",
		"RUN --mount=type=secret,id=npmrc,required npm ci",
		"HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --retries=2 CMD true",
	} {
		opts := testOpts()
		opts.Platform = ""
		res, probs := Analyze([]byte("FROM alpine AS base\n"+src+"\nFROM --platform=$TARGETPLATFORM alpine\nFROM --platform=$BUILDPLATFORM alpine\n"), opts)
		if len(probs) != 0 || len(res.Warnings) != 0 {
			t.Errorf("%s:\n%s%s", src, messages(probs), messages(res.Warnings))
		}
	}
}

func TestCheckDirectivesThatOnlySkipChecksAreSilent(t *testing.T) {
	src := "# check=skip=JSONArgsRecommended\nFROM alpine\n# check=skip=all\nRUN ls\n"
	res, probs := Analyze([]byte(src), testOpts())
	if len(probs) != 0 || len(res.Warnings) != 0 {
		t.Errorf("%s%s", messages(probs), messages(res.Warnings))
	}
}

// kaniko parses with an empty linter.Linter, and BuildKit then writes to
// its nil rule maps: the build would panic. The front end honours the
// comment (its linter reads it) and blanks it in the Dockerfile kaniko
// reads, keeping every line number.
func TestCheckRulesAboveAnInstructionAreHonouredAndHiddenFromKaniko(t *testing.T) {
	for _, c := range []string{"check=skip=JSONArgsRecommended", "check=experimental=InvalidBaseImagePlatform"} {
		src := "FROM alpine\n# " + c + "\nCMD ls\n"
		res, probs := Analyze([]byte(src), checkOpts())
		if len(probs) != 0 {
			t.Fatalf("%s: problems:\n%s", c, messages(probs))
		}
		if want := "FROM alpine\n\nCMD ls\n"; string(res.Dockerfile) != want {
			t.Errorf("%s: kaniko reads %q, want %q", c, res.Dockerfile, want)
		}
		ast, err := parser.Parse(bytes.NewReader(res.Dockerfile))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ast.AST.Children {
			if _, err := instructions.ParseInstruction(n); err != nil {
				t.Errorf("%s: kaniko's parse of line %d: %v", c, n.StartLine, err)
			}
		}
		skipped := strings.Contains(c, "JSONArgsRecommended")
		if warned := strings.Contains(messages(res.Warnings), "JSONArgsRecommended"); warned == skipped {
			t.Errorf("%s: warnings %q", c, messages(res.Warnings))
		}
	}
}

func TestHelperPathMustBeAbsoluteWhenAStepNeedsIt(t *testing.T) {
	opts := testOpts()
	opts.Helper = "kaniko-ecr"
	_, probs := Analyze([]byte("FROM alpine\nRUN --mount=type=cache,target=/c ls\n"), opts)
	if !strings.Contains(messages(probs), "Dockerfile:0: internal: line 2 needs the step helper") {
		t.Errorf("problems:\n%s", messages(probs))
	}
	if _, probs := Analyze([]byte("FROM alpine\nRUN <<EOF\nls\nEOF\n"), opts); len(probs) != 0 {
		t.Errorf("a heredoc kaniko runs itself needs no helper:\n%s", messages(probs))
	}
}

func TestParserErrorsAreProblemsWithTheirLine(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "Dockerfile:0: file with no instructions"},
		{"# only a comment\n", "Dockerfile:1: file with no instructions"},
		{"RUN ls\n", "Dockerfile:1: RUN: no build stage in current context"},
		{"FROM alpine\nCOPY onlyone\n", "Dockerfile:2: COPY: COPY requires at least two arguments"},
		{"# escape=x\nFROM alpine\n", "Dockerfile:0: invalid escape token"},
	} {
		_, probs := Analyze([]byte(c.src), testOpts())
		if !strings.Contains(messages(probs), c.want) {
			t.Errorf("%q: problems:\n%swant %q", c.src, messages(probs), c.want)
		}
	}
}

func TestStageNamesAreListedLowerCased(t *testing.T) {
	res, _ := Analyze([]byte("FROM golang AS Build\nFROM alpine\nFROM build AS final\n"), testOpts())
	if got := strings.Join(res.Stages, ","); got != "build,final" {
		t.Errorf("stages %q", got)
	}
	res, probs := Analyze([]byte("FROM alpine AS a\nRUN --bogus x\n"), testOpts())
	if len(probs) == 0 || strings.Join(res.Stages, ",") != "a" {
		t.Errorf("stages %q with problems %v", res.Stages, probs)
	}
}
