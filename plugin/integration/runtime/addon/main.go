// Command addon plays Harness's CI addon in a Kubernetes step, for the
// runtime tests: it is the container's entrypoint, starts the image's
// plugin (/kaniko/kaniko-ecr) as its child in /harness with the artifact
// file and DRONE_OUTPUT on the mounted /addon/tmp, passes signals on, and
// after the child exits reads both files back the way Harness does (the
// artifact as docker/v1 JSON, the outputs with godotenv). It prints what it
// read as one JSON line prefixed "addon-report " and exits with the
// child's status.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/joho/godotenv"
)

const (
	plugin       = "/kaniko/kaniko-ecr"
	workspace    = "/harness"
	artifactFile = "/addon/tmp/.plugin/artifact"
)

// report is what the addon read after the step.
type report struct {
	ExitCode int               `json:"exitCode"`
	Artifact *artifact         `json:"artifact,omitempty"`
	Outputs  map[string]string `json:"outputs,omitempty"`
	Errors   []string          `json:"errors,omitempty"`
}

type artifact struct {
	Kind string `json:"kind"`
	Data struct {
		RegistryType string `json:"registryType"`
		RegistryURL  string `json:"registryUrl"`
		Images       []struct {
			Image  string `json:"image"`
			Digest string `json:"digest"`
		} `json:"images"`
	} `json:"data"`
}

func main() {
	step := os.Getenv("HARNESS_STEP_ID")
	if step == "" {
		step = "build"
	}
	outputFile := filepath.Join("/addon/tmp", step+"-output.env")
	cmd := exec.Command(plugin)
	cmd.Dir = workspace
	cmd.Env = append(os.Environ(), "PLUGIN_ARTIFACT_FILE="+artifactFile, "DRONE_OUTPUT="+outputFile)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	var rep report
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "addon: starting the plugin:", err)
		os.Exit(1)
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	var ee *exec.ExitError
	if err := cmd.Wait(); errors.As(err, &ee) {
		rep.ExitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			rep.ExitCode = 128 + int(ws.Signal())
		}
	} else if err != nil {
		rep.ExitCode, rep.Errors = 1, append(rep.Errors, err.Error())
	}
	if b, err := os.ReadFile(artifactFile); err == nil {
		rep.Artifact = &artifact{}
		if err := json.Unmarshal(b, rep.Artifact); err != nil {
			rep.Errors = append(rep.Errors, "artifact: "+err.Error())
		}
	} else if !os.IsNotExist(err) {
		rep.Errors = append(rep.Errors, err.Error())
	}
	if env, err := godotenv.Read(outputFile); err == nil {
		rep.Outputs = env
	} else if !os.IsNotExist(err) {
		rep.Errors = append(rep.Errors, "outputs: "+err.Error())
	}
	b, _ := json.Marshal(rep)
	fmt.Printf("addon-report %s\n", b)
	os.Exit(rep.ExitCode)
}
