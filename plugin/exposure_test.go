package plugin

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
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
	// A variable a build secret was read from (PLUGIN_SECRETS_FROM_ENV).
	t.Setenv("NPM_TOKEN", "secret-value-npm")
	secrets["NPM_TOKEN"] = "secret-value-npm"
	scrubEnv("NPM_TOKEN")
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
	withRun, noRun := "FROM scratch\nRUN true\n", "FROM scratch\nCOPY a /a\n"
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
			res, probs := dockerfile.Analyze([]byte(tc.dockerfile), dockerfile.Options{File: "Dockerfile", Helper: "/kaniko/kaniko-ecr", StepDir: "/kaniko/steps"})
			if len(probs) != 0 {
				t.Fatal(probs)
			}
			r := &run{deps: Deps{PID: tc.pid}, plan: &settings.Plan{Frontend: res, AccessKey: redact.Secret(tc.access)}}
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

// The docker config holds the registry token while the build runs (the
// cache needs it) and is gone as soon as the build returns: after success,
// failure, and an interrupt alike.
func TestBuildConfigIsGoneWhenTheBuildReturnsOnEveryPath(t *testing.T) {
	errBuild := errors.New("RUN failed")
	for _, tc := range []struct {
		name      string
		interrupt bool
		buildErr  error
		wantCode  int
	}{
		{"success", false, nil, 0},
		{"the build fails", false, errBuild, 1},
		{"SIGTERM during the build", true, nil, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			var during []byte
			b := &fakeBuilder{during: func(bctx context.Context) error {
				during, _ = os.ReadFile(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"))
				if tc.interrupt {
					cancel(&InterruptedError{Signal: syscall.SIGTERM, Code: 143})
					<-bctx.Done()
					return bctx.Err()
				}
				return tc.buildErr
			}}
			_, log, err := runWith(t, ctx, b, map[string]string{"PLUGIN_CACHE_REPO": "team/cache"}, &fakeRegistry{}, nil)
			if got := ExitCode(err); got != tc.wantCode {
				t.Fatalf("exit %d (%v), want %d\n%s", got, err, tc.wantCode, log)
			}
			if !bytes.Contains(during, []byte(standInHost)) {
				t.Errorf("the build ran without the registry token in its docker config: %q", during)
			}
			if _, err := os.Stat(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the docker config outlived the build: %v", err)
			}
		})
	}
}

func TestExitHooksRunOnAFatalLogLine(t *testing.T) {
	ran := 0
	remove := atExit(func() { ran++ })
	runExitHooks() // what logrus.Fatal and the signal handler's exit call
	remove()
	runExitHooks()
	if ran != 1 {
		t.Errorf("the hook ran %d times, want once while registered", ran)
	}
}

func TestBuildFactsComeFromTheFrontEndOrAssumeTheWorst(t *testing.T) {
	if f := factsOf(nil); !f.unknown || !f.hasRun {
		t.Errorf("%+v: without the front end's result the build must count as pulling from anywhere and running steps", f)
	}
	res := &dockerfile.Result{Pulls: []string{"quay.io"}, Runs: []dockerfile.StageRun{{Line: 2}}}
	if f := factsOf(res); f.unknown || !f.hasRun || len(f.pulls) != 1 || f.pulls[0] != "quay.io" {
		t.Errorf("%+v", f)
	}
}
