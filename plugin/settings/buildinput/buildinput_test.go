package buildinput

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestBuildxSecretSyntaxIsParsedAsBuildxDoes(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Source
		wantErr string
	}{
		{in: "id=npm,src=.npmrc", want: Source{ID: "npm", File: ".npmrc"}},
		{in: "id=npm,source=/run/npmrc", want: Source{ID: "npm", File: "/run/npmrc"}},
		{in: "id=tok,env=TOKEN", want: Source{ID: "tok", Env: "TOKEN"}},
		{in: "id=tok,type=env", want: Source{ID: "tok", Env: "tok"}},
		{in: "type=env,id=tok,src=TOKEN", want: Source{ID: "tok", Env: "TOKEN"}},
		{in: "src=secrets/aws.cfg", want: Source{ID: "aws.cfg", File: "secrets/aws.cfg"}},
		{in: "env=GITHUB_TOKEN", want: Source{ID: "GITHUB_TOKEN", Env: "GITHUB_TOKEN"}},
		{in: "id=plain", want: Source{ID: "plain", Env: "plain"}},
		{in: "id=x,type=ssh", wantErr: `type "ssh" is neither file nor env`},
		{in: "id=x,dst=/a", wantErr: `unknown field "dst"`},
		{in: "id", wantErr: `field "id" is not key=value`},
		{in: "type=file", wantErr: "has no id"},
		{in: `id="x`, wantErr: "not comma-separated key=value fields"},
	} {
		got, err := ParseBuildx(tc.in)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseBuildx(%q) error %v, want %q", tc.in, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("ParseBuildx(%q): %v", tc.in, err)
		case got != tc.want:
			t.Errorf("ParseBuildx(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func FuzzParseBuildxSecret(f *testing.F) {
	for _, s := range []string{"id=a,src=b", "id=a,env=B", `"id=a,b"`, "type=env", ",,", "id=,src="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, item string) {
		s, err := ParseBuildx(item)
		if err != nil {
			return
		}
		if s.ID == "" || (s.Env == "") == (s.File == "") {
			t.Fatalf("ParseBuildx(%q) = %+v: want an id and exactly one source", item, s)
		}
	})
}

func TestContextHashFollowsContentNamesAndModes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("src/a.go", "package a", 0o644)
	write("go.sum", "sums", 0o644)
	hash := ContextHash(dir, filepath.Join(dir, "Dockerfile"))
	digest := func(src string) string {
		t.Helper()
		d, err := hash(src)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	src, all, sum := digest("src"), digest(""), digest("go.sum")
	write("src/a.go", "package b", 0o644)
	if digest("src") == src || digest("") == all {
		t.Error("changed content, same digest")
	}
	if digest("go.sum") != sum {
		t.Error("an unrelated file changed go.sum's digest")
	}
	src = digest("src")
	write("src/a.go", "package b", 0o755)
	if digest("src") == src {
		t.Error("changed mode, same digest")
	}
	if _, err := hash("missing"); err == nil || !strings.Contains(err.Error(), "missing is not in the build context") {
		t.Errorf("err = %v", err)
	}
}

func TestReadNamesTheSourceAndNeverTheValue(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), []byte(strings.Repeat("s", MaxSecretSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { return map[string]string{"SET": "VALUE"}[k], k == "SET" }
	if v, err := Read(Source{ID: "a", Env: "SET"}, lookup, dir); err != nil || v.Reveal() != "VALUE" {
		t.Errorf("Read from env = %v, %v", v, err)
	}
	for _, src := range []Source{{ID: "b", Env: "UNSET"}, {ID: "c", File: "missing"}, {ID: "d", File: "big"}} {
		_, err := Read(src, lookup, dir)
		if err == nil || !strings.Contains(err.Error(), `secret "`+src.ID+`"`) || strings.Contains(err.Error(), "sss") {
			t.Errorf("Read(%+v) error = %v", src, err)
		}
	}
}

func TestBinfmtFindsOnlyEnabledHandlersOfTheArchitecture(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"qemu-aarch64": "enabled\ninterpreter /usr/bin/qemu-aarch64\n", "qemu-riscv64": "disabled\n", "register": "", "status": "enabled\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for arch, want := range map[string]bool{"arm64": true, "riscv64": false, "s390x": false} {
		if got := Binfmt(dir, arch); got != want {
			t.Errorf("Binfmt(%s) = %v, want %v", arch, got, want)
		}
	}
	if Binfmt(filepath.Join(dir, "missing"), "arm64") {
		t.Error("a missing binfmt_misc has handlers")
	}
}

func TestForeignArchComparesWithThisMachine(t *testing.T) {
	if _, foreign := ForeignArch("linux/" + runtime.GOARCH); foreign {
		t.Error("this machine's own architecture is foreign")
	}
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	if other == "" {
		t.Skip("no other architecture known for " + runtime.GOARCH)
	}
	if arch, foreign := ForeignArch("linux/" + other); !foreign || arch != other {
		t.Errorf("ForeignArch(linux/%s) = %s, %v", other, arch, foreign)
	}
}
