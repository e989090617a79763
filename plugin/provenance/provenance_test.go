package provenance

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// statement is the JSON the tests read back, as a verifier would.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate struct {
		BuildDefinition struct {
			BuildType            string         `json:"buildType"`
			ExternalParameters   map[string]any `json:"externalParameters"`
			InternalParameters   map[string]any `json:"internalParameters"`
			ResolvedDependencies []struct {
				Name   string            `json:"name"`
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID      string            `json:"id"`
				Version map[string]string `json:"version"`
			} `json:"builder"`
			Metadata struct {
				InvocationID string `json:"invocationId"`
				StartedOn    string `json:"startedOn"`
				FinishedOn   string `json:"finishedOn"`
			} `json:"metadata"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

const (
	imageDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	baseDigest  = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	toolDigest  = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	addChecksum = "sha256:4444444444444444444444444444444444444444444444444444444444444444"
	secretValue = "s3cr3t-token-value"
)

func build(mode string) Build {
	env := map[string]string{
		"DRONE":            "true",
		"DRONE_BUILD_LINK": "https://drone.example.com/team/app/42",
		"DRONE_REMOTE_URL": "https://x-token:" + secretValue + "@git.example.com/team/app.git",
		"DRONE_COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
		"DRONE_COMMIT_REF": "refs/heads/main",
	}
	return Build{
		Mode:       mode,
		Subjects:   []Subject{{Name: "registry.example.com/team/app", Digest: imageDigest}},
		Dockerfile: "Dockerfile", Context: ".", Target: "final", Platform: "linux/amd64",
		BuildArgs: []string{"VERSION=1.2.3", "NPM_TOKEN=" + secretValue},
		Labels:    []string{"team=core", "owner=" + secretValue},
		SecretIDs: []string{"npmrc"},
		Images: []Image{
			{Ref: "docker.io/library/alpine:3.20", Digest: baseDigest, Platform: "linux/amd64"},
			{Ref: "registry.example.com/tools:1", Digest: toolDigest, Platform: "linux/amd64"},
		},
		Downloads: []Download{{URL: "https://example.com/tool.tgz", Checksum: addChecksum}},
		Builder:   Builder{Version: "1.0.0", Dependencies: map[string]string{"github.com/chainguard-dev/kaniko": "v1.25.15"}},
		Env:       func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Started:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Finished:  time.Date(2026, 1, 2, 3, 5, 6, 0, time.UTC),
		Mask:      func(s string) string { return strings.ReplaceAll(s, secretValue, "[redacted]") },
	}
}

func read(t *testing.T, raw []byte) statement {
	t.Helper()
	var st statement
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("statement is not JSON: %v\n%s", err, raw)
	}
	return st
}

func TestStatementHoldsBuildArgNamesInMinAndMaskedValuesInMaxNeverASecret(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want map[string]any
	}{
		{Min, map[string]any{
			"dockerfile": "Dockerfile", "context": ".", "target": "final", "platform": "linux/amd64",
			"buildArgNames": []any{"NPM_TOKEN", "VERSION"}, "labelNames": []any{"owner", "team"}, "secretIds": []any{"npmrc"},
		}},
		{Max, map[string]any{
			"dockerfile": "Dockerfile", "context": ".", "target": "final", "platform": "linux/amd64",
			"buildArgs":  map[string]any{"VERSION": "1.2.3", "NPM_TOKEN": "[redacted]"},
			"labelNames": []any{"owner", "team"}, "secretIds": []any{"npmrc"},
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			raw, err := Statement(build(tc.mode))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), secretValue) {
				t.Fatalf("a secret value reached the statement:\n%s", raw)
			}
			st := read(t, raw)
			if d := cmp.Diff(tc.want, st.Predicate.BuildDefinition.ExternalParameters); d != "" {
				t.Errorf("external parameters (-want +got):\n%s", d)
			}
		})
	}
}

func TestStatementIsSLSAv1WithSubjectMaterialsInvocationAndTimes(t *testing.T) {
	raw, err := Statement(build(Min))
	if err != nil {
		t.Fatal(err)
	}
	st := read(t, raw)
	if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("type %q, predicate type %q", st.Type, st.PredicateType)
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != "registry.example.com/team/app" || st.Subject[0].Digest["sha256"] != strings.TrimPrefix(imageDigest, "sha256:") {
		t.Errorf("subject %+v", st.Subject)
	}
	bd := st.Predicate.BuildDefinition
	if bd.BuildType != BuildType {
		t.Errorf("build type %q", bd.BuildType)
	}
	var deps []string
	for _, d := range bd.ResolvedDependencies {
		for alg, v := range d.Digest {
			deps = append(deps, d.URI+" "+alg+":"+v)
		}
	}
	want := []string{
		"pkg:docker/docker.io/library/alpine:3.20?platform=linux%2Famd64 " + baseDigest,
		"pkg:docker/registry.example.com/tools:1?platform=linux%2Famd64 " + toolDigest,
		"https://example.com/tool.tgz " + addChecksum,
		"git+https://git.example.com/team/app.git gitCommit:0123456789abcdef0123456789abcdef01234567",
	}
	if d := cmp.Diff(want, deps); d != "" {
		t.Errorf("resolved dependencies (-want +got):\n%s", d)
	}
	ci, _ := bd.InternalParameters["ci"].(map[string]any)
	if ci["system"] != "drone" || ci["ref"] != "refs/heads/main" || ci["repository"] != "https://git.example.com/team/app.git" {
		t.Errorf("ci invocation %v", ci)
	}
	rd := st.Predicate.RunDetails
	if rd.Builder.ID != BuilderID || rd.Builder.Version["kaniko-ecr"] != "1.0.0" || rd.Builder.Version["github.com/chainguard-dev/kaniko"] != "v1.25.15" {
		t.Errorf("builder %+v", rd.Builder)
	}
	if rd.Metadata.InvocationID != "https://drone.example.com/team/app/42" || rd.Metadata.StartedOn != "2026-01-02T03:04:05Z" || rd.Metadata.FinishedOn != "2026-01-02T03:05:06Z" {
		t.Errorf("metadata %+v", rd.Metadata)
	}
}

func TestHarnessInvocationIsNamedAndItsExecutionIsTheInvocationID(t *testing.T) {
	env := map[string]string{"HARNESS_ACCOUNT_ID": "acc", "HARNESS_PIPELINE_ID": "build", "HARNESS_EXECUTION_ID": "exec-1", "DRONE_COMMIT_SHA": "abc"}
	inv := invocation(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if inv.fields["system"] != "harness" || inv.id != "exec-1" || inv.commit != "abc" || inv.repo != "" {
		t.Errorf("invocation %+v", inv)
	}
}

func TestStatementWithoutSubjectFails(t *testing.T) {
	b := build(Min)
	b.Subjects = nil
	if _, err := Statement(b); err == nil {
		t.Fatal("a statement without subject was written")
	}
}
