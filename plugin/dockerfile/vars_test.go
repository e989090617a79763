package dockerfile

import (
	"reflect"
	"strings"
	"testing"
)

func TestMountOptionsExpandBuildVariablesExceptFrom(t *testing.T) {
	src := "ARG GLOBAL_UID=7\nFROM alpine AS base\nENV CACHE_MODE=0700\nFROM base\nARG MNT_TYPE=cache\nARG GLOBAL_UID\nARG SHARING\nARG SIZE=1m\nENV RO=true\n" +
		"RUN --mount=type=$MNT_TYPE,id=$ID,target=/c,mode=${CACHE_MODE},uid=$GLOBAL_UID,gid=\"${GLOBAL_UID}\",sharing=$SHARING,readonly=$RO --mount=type=tmpfs,target=/t,size=$SIZE ls\n"
	opts := testOpts()
	opts.BuildArgs = []string{"SHARING=locked"}
	st := oneStep(t, src, opts)
	want := []Mount{
		{Type: "cache", ID: "$ID", Target: "/c", Mode: u32(0o700), UID: u32(7), GID: u32(7), Sharing: "locked", ReadOnly: true},
		{Type: "tmpfs", Target: "/t", Size: 1 << 20},
	}
	if !reflect.DeepEqual(st.Mounts, want) {
		t.Errorf("mounts %+v\nwant %+v", st.Mounts, want)
	}
}

func TestMountOptionsOnlyTheBaseImageCanDefineAreLeftToTheBuild(t *testing.T) {
	st := oneStep(t, "FROM mcr.microsoft.com/dotnet/sdk\nARG M=0700\nRUN --mount=type=cache,target=/c,uid=$APP_UID,mode=$M,gid=\"$APP_UID\" ls\n", testOpts())
	m := st.Mounts[0]
	if strings.Join(m.Deferred, " ") != "uid=$APP_UID gid=$APP_UID" || m.UID != nil || m.Mode == nil || *m.Mode != 0o700 {
		t.Errorf("mount %+v", m)
	}
}

func TestAddChecksumAndSourcesAreReadAfterBuildKitsWordProcessing(t *testing.T) {
	sum := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct{ name, line, want string }{
		{"checksum from an ARG", "ARG DIGEST=" + sum + "\nADD --checksum=${DIGEST} https://example.com/a.tgz /a", ""},
		{"checksum from a build arg", "ARG DIGEST\nADD --checksum=$DIGEST https://example.com/a.tgz /a", ""},
		{"quoted URL", "ADD --checksum=" + sum + " \"https://example.com/a.tgz\" /a", ""},
		{"undefined checksum", "ADD --checksum=$NOPE https://example.com/a.tgz /a", "Dockerfile:2: ADD --checksum=$NOPE: uses $NOPE, which the Dockerfile does not define"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOpts()
			opts.BuildArgs = []string{"DIGEST=" + sum}
			res, probs := Analyze([]byte("FROM alpine\n"+c.line+"\n"), opts)
			got := messages(probs)
			if c.want == "" {
				if got != "" {
					t.Fatalf("problems:\n%s", got)
				}
				if st := res.Steps[0]; st.Checksum != sum || st.Kind != "add" {
					t.Errorf("step %+v", st)
				}
				return
			}
			if !strings.Contains(got, c.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", got, c.want)
			}
		})
	}
}
