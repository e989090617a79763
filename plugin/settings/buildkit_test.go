package settings

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/buildinput"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/values"
	"golang.org/x/crypto/ssh"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func testSSHKey(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

func TestBuildSecretsComeFromEveryKindOfSetting(t *testing.T) {
	dir := workspace(t)
	writeFile(t, filepath.Join(dir, "secrets", "npmrc"), "//registry/:_authToken=FILESECRET\n")
	writeFile(t, filepath.Join(dir, "aws.cfg"), "AWSFILE")
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox\nRUN --mount=type=secret,id=npm,required=true --mount=type=ssh cat /run/secrets/npm\n")
	key := testSSHKey(t)
	p, err := validate(t, dir, map[string]string{
		"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
		"PLUGIN_SECRETS_FROM_ENV":  "tok=MY_TOKEN",
		"PLUGIN_SECRETS_FROM_FILE": "npm=secrets/npmrc",
		"PLUGIN_SECRET":            "id=aws,src=aws.cfg;id=gh,env=GH",
		"PLUGIN_SSH_AGENT_KEY":     key,
		"PLUGIN_CACHE_MOUNT_DIR":   ".cache/mounts",
		"MY_TOKEN":                 "ENVSECRET", "GH": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for id, v := range p.BuildSecrets {
		got[id] = v.Reveal()
	}
	want := map[string]string{"tok": "ENVSECRET", "npm": "//registry/:_authToken=FILESECRET\n", "aws": "AWSFILE", "gh": ""}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("secrets (-want +got):\n%s", d)
	}
	if p.SSHKey.Reveal() != key || p.CacheMountDir != filepath.Join(dir, ".cache/mounts") {
		t.Errorf("ssh key kept %v, cache mount dir %q", p.SSHKey.Reveal() == key, p.CacheMountDir)
	}
	if p.Frontend == nil || len(p.Frontend.Steps) != 1 {
		t.Fatalf("front end result %+v, want one step", p.Frontend)
	}
}

func TestBuildSecretProblemsNameTheVariableAndNeverTheValue(t *testing.T) {
	dir := workspace(t)
	writeFile(t, filepath.Join(dir, "big"), strings.Repeat("x", buildinput.MaxSecretSize+1))
	writeFile(t, filepath.Join(dir, "dup"), "DUPVALUE")
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox\nRUN --mount=type=secret,id=needed,required=true true\nRUN --mount=type=ssh,required=true true\n")
	_, err := validate(t, dir, map[string]string{
		"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app",
		"PLUGIN_SECRETS_FROM_ENV":  "a=UNSET_VAR,novalue",
		"PLUGIN_SECRETS_FROM_FILE": "b=missing.txt,c=big,d=dup",
		"PLUGIN_SECRET":            "id=d,src=dup;id=e,type=bogus",
		"PLUGIN_SSH_AGENT_KEY":     "SSHKEYTEXT not a key",
		"PLUGIN_CACHE_MOUNT_DIR":   "Dockerfile",
	})
	var msg string
	if err != nil {
		msg = err.Error()
	}
	for _, w := range []string{
		`PLUGIN_SECRETS_FROM_ENV: secret "a" comes from the variable UNSET_VAR, which is not set`,
		`PLUGIN_SECRETS_FROM_ENV: "novalue" is not id=ENV_VAR`,
		`PLUGIN_SECRETS_FROM_FILE: secret "b": open`,
		`PLUGIN_SECRETS_FROM_FILE: secret "c": big is larger than 500 KiB`,
		`PLUGIN_SECRET: secret "d" is also given by PLUGIN_SECRETS_FROM_FILE`,
		`PLUGIN_SECRET: "id=e,type=bogus": type "bogus" is neither file nor env`,
		"PLUGIN_SSH_AGENT_KEY is not a private key",
		`PLUGIN_CACHE_MOUNT_DIR: "Dockerfile" is a file, want a directory`,
		"Dockerfile:2:", "Dockerfile:3:",
	} {
		if !strings.Contains(msg, w) {
			t.Errorf("report lacks %q:\n%s", w, msg)
		}
	}
	for _, secret := range []string{"DUPVALUE", "SSHKEYTEXT"} {
		if strings.Contains(msg, secret) {
			t.Errorf("report shows a secret value %q:\n%s", secret, msg)
		}
	}
	if i, j := strings.Index(msg, "Dockerfile:2:"), strings.Index(msg, "Dockerfile:3:"); i > j {
		t.Errorf("the Dockerfile's problems are not in line order:\n%s", msg)
	}
}

func TestDockerfileProblemsSortByLineNumber(t *testing.T) {
	probs := []string{"PLUGIN_REPO is required", "Dockerfile:10: b", "Dockerfile:9: a", "Dockerfile:0: parse", "PLUGIN_A: x"}
	values.SortProblems(probs)
	want := []string{"Dockerfile:0: parse", "Dockerfile:9: a", "Dockerfile:10: b", "PLUGIN_A: x", "PLUGIN_REPO is required"}
	if d := cmp.Diff(want, probs); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
}

func TestForeignPlatformRunStepsNeedABinfmtHandler(t *testing.T) {
	other := map[string]string{"amd64": "arm64", "arm64": "amd64"}[runtime.GOARCH]
	if other == "" {
		t.Skip("no other architecture known for " + runtime.GOARCH)
	}
	dir := workspace(t)
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox AS build\nCOPY a /a\nRUN make\nFROM scratch\nCOPY --from=build /a /a\n")
	writeFile(t, filepath.Join(dir, "copyonly.Dockerfile"), "FROM busybox\nCOPY a /a\n")
	binfmt := t.TempDir()
	env := func(df string) map[string]string {
		return map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app", "PLUGIN_PLATFORM": "linux/" + other, "PLUGIN_DOCKERFILE": df}
	}
	validateIn := func(df string) error {
		t.Helper()
		for k, v := range env(df) {
			t.Setenv(k, v)
		}
		s, _, err := Load()
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Validate(Env{Lookup: os.LookupEnv, Dir: dir, BinfmtDir: binfmt})
		return err
	}
	_, _ = validate(t, dir, nil) // clears the PLUGIN_ namespace
	err := validateIn("Dockerfile")
	want := "PLUGIN_PLATFORM: linux/" + other + " cannot run the RUN steps of stage build (Dockerfile:3)"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "PLUGIN_INDEX_SOURCES") {
		t.Errorf("err = %v, want %q and the way out", err, want)
	}
	if err := validateIn("copyonly.Dockerfile"); err != nil {
		t.Errorf("a stage without RUN was refused: %v", err)
	}
	qemu := map[string]string{"arm64": "qemu-aarch64", "amd64": "qemu-x86_64"}[other]
	writeFile(t, filepath.Join(binfmt, qemu), "enabled\ninterpreter /usr/bin/"+qemu+"\n")
	if err := validateIn("Dockerfile"); err != nil {
		t.Errorf("refused although a handler is registered: %v", err)
	}
}

func TestBuildChecksWarnByDefaultAndBuildChecksFalseTurnsThemOff(t *testing.T) {
	dir := workspace(t)
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM busybox as build\nRUN ls\n")
	for _, c := range []struct {
		checks string
		warns  bool
	}{{"", true}, {"true", true}, {"false", false}} {
		t.Run("PLUGIN_BUILD_CHECKS="+c.checks, func(t *testing.T) {
			t.Setenv("PLUGIN_REGISTRY", testRegistry)
			t.Setenv("PLUGIN_REPO", "team/app")
			t.Setenv("PLUGIN_BUILD_CHECKS", c.checks)
			if c.checks == "" {
				os.Unsetenv("PLUGIN_BUILD_CHECKS") // the default
			}
			s, _, err := Load()
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Validate(Env{Lookup: os.LookupEnv, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			want := "Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)"
			if got := slices.Contains(p.Warnings, want); got != c.warns {
				t.Errorf("warned %v, want %v: %q", got, c.warns, p.Warnings)
			}
		})
	}
}
