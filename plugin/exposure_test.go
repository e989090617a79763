package plugin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// Once the run has read them, no secret variable is left in the process
// environment, so no child process inherits one.
func TestScrubbedEnvironmentHandsNoSecretToAChildProcess(t *testing.T) {
	secrets := map[string]string{}
	for i, name := range secretVars() {
		v := "secret-value-" + strings.Repeat("x", i+1) + "-" + name
		t.Setenv(name, v)
		secrets[name] = v
	}
	t.Setenv("PLUGIN_REPO", "team/app")
	scrubEnv()
	out, err := exec.Command("/usr/bin/env").Output()
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range secrets {
		if bytes.Contains(out, []byte(v)) {
			t.Errorf("a child process got %s", name)
		}
	}
	if !bytes.Contains(out, []byte("PLUGIN_REPO=team/app")) {
		t.Error("scrubbing removed a variable that holds no secret")
	}
}

func TestExposureWarningOnlyForStaticKeysRunStepsAndAnotherPID1(t *testing.T) {
	dir := t.TempDir()
	withRun := filepath.Join(dir, "Dockerfile.run")
	noRun := filepath.Join(dir, "Dockerfile.copy")
	for path, body := range map[string]string{withRun: "FROM scratch\nRUN true\n", noRun: "FROM scratch\nCOPY a /a\n"} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name       string
		pid        int
		dockerfile string
		access     string
		envSecret  string
		warn       bool
	}{
		{"static keys, RUN, not PID 1", 7, withRun, "AKIAX", "", true},
		{"keys from AWS_* in the environment", 7, withRun, "", "s", true},
		{"PID 1: the plugin protects itself", 1, withRun, "AKIAX", "", false},
		{"no RUN step", 7, noRun, "AKIAX", "", false},
		{"no static keys (IRSA, OIDC)", 7, withRun, "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_SECRET_ACCESS_KEY", tc.envSecret)
			if tc.envSecret == "" {
				os.Unsetenv("AWS_SECRET_ACCESS_KEY")
			}
			var log bytes.Buffer
			logrus.SetOutput(&log)
			t.Cleanup(func() { logrus.SetOutput(os.Stderr) })
			r := &run{deps: Deps{PID: tc.pid}, plan: &settings.Plan{Dockerfile: tc.dockerfile, AccessKey: redact.Secret(tc.access)}}
			r.warnExposure()
			got := strings.Contains(log.String(), "IRSA or OIDC")
			if got != tc.warn {
				t.Errorf("warned %v, want %v:\n%s", got, tc.warn, log.String())
			}
			if got && !strings.Contains(log.String(), "/proc/1/environ") {
				t.Errorf("the warning does not name the exposure:\n%s", log.String())
			}
		})
	}
}
