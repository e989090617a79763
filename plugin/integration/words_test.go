package integration

import (
	"fmt"
	"strings"
	"testing"
)

// expandedOptions takes every --mount option but from from build
// variables, and the ADD digest from a build arg, with the URL quoted.
const expandedOptions = `ARG BASE
FROM ${BASE}
ARG MNT_TYPE=cache
ARG DIGEST
ENV CACHE_MODE=0700 OWNER=123
WORKDIR /src
RUN --mount=type=$MNT_TYPE,id=c,mode=${CACHE_MODE},uid=$OWNER,target=/c stat -c '%%a %%u' /c > /cache.txt
RUN --mount=type=bind,source=. ls /src > /bound.txt
ADD --checksum=${DIGEST} "%s" /opt/tool.tar
`

func TestBuildVariablesInMountOptionsAndChecksumsExpandAsBuildKitDoes(t *testing.T) {
	addRepos("bk/words")
	const body = "the downloaded tool\n"
	url := serveFile(t, body)
	ws := writeFiles(t, map[string]string{"Dockerfile": fmt.Sprintf(expandedOptions, url), "a.txt": "a\n"})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/words", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage + ",DIGEST=sha256:" + sha(body)})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	_, files := pulled(t, stack.Registry.Addr+"/bk/words:latest")
	for path, want := range map[string]string{"cache.txt": "700 123\n", "opt/tool.tar": body} {
		if files[path] != want {
			t.Errorf("%s = %q, want %q", path, files[path], want)
		}
	}
	if !strings.Contains(files["bound.txt"], "a.txt") {
		t.Errorf("the context bound at the WORKDIR held %q", files["bound.txt"])
	}
}

// Each refusal names its line and exits 2 before anything is contacted.
func TestDockerfileRefusalsExitTwoNamingTheLineBeforeAnyCall(t *testing.T) {
	for _, tc := range []struct{ name, dockerfile, want string }{
		{"quoted git source whose checksums disagree", "ARG BASE\nFROM ${BASE}\nARG V=v1\nADD --checksum=0123 \"https://github.com/o/r.git?ref=$V&checksum=4567\" /src\n", `Dockerfile:4: ADD "https://github.com/o/r.git?ref=$V&checksum=4567": checksum mismatch "0123" != "4567"`},
		{"mount of a later stage", "ARG BASE\nFROM ${BASE} AS a\nRUN --mount=from=late,target=/x ls\nFROM ${BASE} AS late\nCOPY --from=a /bin /b\n", "Dockerfile:3: RUN --mount=from=late"},
		{"undefined variable in a mount's type", "ARG BASE\nFROM ${BASE}\nRUN --mount=type=$NOPE,target=/c ls\n", "Dockerfile:3: RUN --mount=type=$NOPE,target=/c: type uses $NOPE"},
		{"target-less mount at /", "ARG BASE\nFROM ${BASE}\nWORKDIR /\nRUN --mount=type=bind,source=. ls\n", "Dockerfile:4: RUN --mount=type=bind,source=.: cannot mount over /"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(stack.API.Calls())
			ws := writeFiles(t, map[string]string{"Dockerfile": tc.dockerfile})
			r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/refused", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage})
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("the report lacks %q:\n%s", tc.want, r.stderr)
			}
			if n := len(stack.API.Calls()) - before; n != 0 {
				t.Errorf("%d AWS calls before validation ended", n)
			}
		})
	}
}

func TestDockersUpstreamFrontEndIsAcceptedWithANoticeNamingTheParsersVersion(t *testing.T) {
	ws := writeFiles(t, map[string]string{"Dockerfile": "# syntax=docker/dockerfile-upstream:master-labs\nARG BASE\nFROM ${BASE}\nRUN <<EOF\necho hi > /hi.txt\nEOF\n"})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/upstream", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage, "PLUGIN_DRY_RUN": "true"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Dockerfile:1: # syntax=docker/dockerfile-upstream:master-labs: read as the Dockerfile syntax 1.") {
		t.Errorf("no notice naming the parser's version:\n%s", r.stderr)
	}
}

// What only the base image sets reaches the mounts during the build, as in
// BuildKit: a mount without a target goes to the image's WORKDIR, and an
// option takes a variable of the image's ENV.
func TestWhatOnlyTheBaseImageSetsReachesMountsDuringTheBuild(t *testing.T) {
	addRepos("bk/workdir-base", "bk/workdir")
	ws := writeFiles(t, map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nWORKDIR /app\nENV APP_UID=1234\n"})
	if r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/workdir-base", "PLUGIN_BUILD_ARGS": "BASE=" + baseImage}); r.code != 0 {
		t.Fatalf("base: exit %d\n%s", r.code, r.stderr)
	}
	ws = writeFiles(t, map[string]string{
		"Dockerfile": "ARG BASE\nFROM ${BASE}\nRUN --mount=type=bind,source=. cat /app/a.txt > /seen.txt\nRUN --mount=type=cache,target=/c,uid=$APP_UID stat -c %u /c > /uid.txt\n",
		"a.txt":      "from the context\n",
	})
	r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": "bk/workdir", "PLUGIN_BUILD_ARGS": "BASE=" + stack.Registry.Addr + "/bk/workdir-base:latest"})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	_, files := pulled(t, stack.Registry.Addr+"/bk/workdir:latest")
	if files["seen.txt"] != "from the context\n" || files["uid.txt"] != "1234\n" {
		t.Errorf("seen.txt = %q, uid.txt = %q", files["seen.txt"], files["uid.txt"])
	}
}
