package awsecr

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// The build's docker config holds only what the build pulls with: the base
// image connector's entry when a base image comes from its registry, the
// registry token when one comes from the ECR registry or the cache is on,
// and nothing at all otherwise. Afterwards the file is as it was.
func TestBuildConfigHoldsOnlyWhatTheBuildPullsWithAndIsRestored(t *testing.T) {
	const hub = "https://index.docker.io/v1/"
	for _, tc := range []struct {
		name  string
		pulls []string
		cache bool
		want  []string // hosts with an entry while the build runs
	}{
		{"scratch, no cache: nothing", nil, false, nil},
		{"base image elsewhere, no cache: nothing", []string{"quay.io"}, false, nil},
		{"base image on Docker Hub: the connector only", []string{"index.docker.io"}, false, []string{hub}},
		{"base image in ECR: the token only", []string{standInHost}, false, []string{standInHost}},
		{"cache: the token", []string{"quay.io"}, true, []string{standInHost}},
		{"both", []string{"index.docker.io", standInHost}, false, []string{standInHost, hub}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeSession(t, &fakeRegistry{}, nil)
			s.plan.Host = standInHost
			s.plan.BaseImage = settings.BaseImageAuth{Registry: hub, Username: "puller", Password: "base-password"}
			if err := s.fetchToken(context.Background()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")
			restore, err := s.WriteBuildConfig(context.Background(), tc.pulls, tc.cache)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if cfg, err := docker.Load(os.Getenv("DOCKER_CONFIG")); err == nil {
				for h := range cfg.Auths {
					got = append(got, h)
				}
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("entries while the build runs (-want +got):\n%s", diff)
			}
			if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() != 0o600 {
				t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
			}
			restore()
			restore() // a second call (signal, then return) is harmless
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("config.json is still there after the build: %v", err)
			}
		})
	}
}

func TestBuildConfigRestoresAConfigThatWasThereBefore(t *testing.T) {
	s := fakeSession(t, &fakeRegistry{}, nil)
	if err := s.fetchToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("DOCKER_CONFIG")
	before := []byte(`{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}`)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), before, 0o600); err != nil {
		t.Fatal(err)
	}
	restore, err := s.WriteBuildConfig(context.Background(), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := docker.Load(dir)
	if err != nil || cfg.Auths["ghcr.io"].Auth == "" || cfg.Auths[s.plan.Host].Auth == "" {
		t.Errorf("during the build the config lacks the old entry or the token: %+v, %v", cfg, err)
	}
	restore()
	after, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil || string(after) != string(before) {
		t.Errorf("after the build the config is %q (%v), want it as before", after, err)
	}
}

func TestPushAuthorizationIsTheTokenInMemory(t *testing.T) {
	s := fakeSession(t, &fakeRegistry{}, nil)
	if _, err := s.Authorization(); !errors.Is(err, errNoTokenYet) {
		t.Errorf("before the checks: %v, want errNoTokenYet", err)
	}
	if err := s.fetchToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, err := s.Authorization()
	if err != nil || a.Username == "" || a.Password != s.currentToken().Password {
		t.Errorf("Authorization = %+v, %v", a, err)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json")); err == nil {
		t.Error("fetching the token wrote the docker config")
	}
}
