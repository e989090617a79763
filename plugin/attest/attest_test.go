package attest

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/provenanceinput"
)

// Against a registry that serves the referrers API (go-containerregistry's,
// with it on), the built image's provenance is listed there, with what the
// plan and the build say and without the secret.
func TestBuiltImageProvenanceIsListedByTheReferrersAPIWithThePlansInputs(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true)))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(host + "/team/app:v1")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	digest, _ := img.Digest()
	ws := t.TempDir()
	const secret = "SECRETVALUE-9f8e"
	p := &settings.Plan{
		Host: host, Repo: "team/app", Tags: []string{"v1"},
		Dockerfile: filepath.Join(ws, "app", "Dockerfile"), Context: filepath.Join(ws, "app"),
		BuildArgs: []string{"VERSION=1", "TOKEN=" + secret}, Labels: []string{"team=core"},
		BuildSecrets: map[string]redact.Secret{"npm": secret},
		Frontend:     &dockerfile.Result{Steps: []dockerfile.Step{{Kind: "add", URL: "https://example.com/x.tgz", Checksum: "sha256:" + strings.Repeat("c", 64)}}},
		Provenance:   provenanceinput.Mode{V: "min"}.Plan(provenanceinput.KMSKey{}),
	}
	sess, err := push.NewSession(ctx, authn.Anonymous, http.DefaultTransport, tag.Context().Registry)
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	got := Built(ctx, sess, Run{
		Plan: p, Dir: ws, Version: "1.2.3", Started: time.Now().Add(-time.Minute),
		Pulled:  map[string]string{"docker.io/library/alpine:3.20": "sha256:" + strings.Repeat("a", 64)},
		Git:     map[string]string{"https://example.com/r.git#refs/heads/main": strings.Repeat("b", 40)},
		OnPhase: func(s string) { phases = append(phases, s) },
	}, push.Result{Digest: digest.String(), Pushed: []string{tag.String()}, Image: img})
	if len(got) != 1 || strings.Join(phases, ",") != "provenance" {
		t.Fatalf("attached %v, phases %v", got, phases)
	}

	idx, err := remote.Referrers(tag.Context().Digest(digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != got[0] {
		t.Fatalf("referrers %+v, want %s", im.Manifests, got[0])
	}
	art, err := remote.Image(tag.Context().Digest(got[0]))
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := art.Layers()
	rc, _ := layers[0].Compressed()
	raw, _ := io.ReadAll(rc)
	if strings.Contains(string(raw), secret) {
		t.Fatalf("the provenance holds the secret:\n%s", raw)
	}
	if !strings.Contains(string(raw), `{"digest":{"sha1":"`+strings.Repeat("b", 40)+`"},"uri":"https://example.com/r.git#refs/heads/main"}`) {
		t.Errorf("the git source is not listed with its commit:\n%s", raw)
	}
	var st struct {
		Predicate struct {
			BuildDefinition struct {
				ExternalParameters   map[string]any `json:"externalParameters"`
				ResolvedDependencies []struct {
					URI string `json:"uri"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	ext := st.Predicate.BuildDefinition.ExternalParameters
	if ext["dockerfile"] != "app/Dockerfile" || ext["context"] != "app" || len(ext["buildArgNames"].([]any)) != 2 || ext["secretIds"].([]any)[0] != "npm" {
		t.Errorf("external parameters %v", ext)
	}
	var uris []string
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		uris = append(uris, d.URI)
	}
	if strings.Join(uris, " ") != "pkg:docker/docker.io/library/alpine:3.20?platform="+strings.ReplaceAll(ext["platform"].(string), "/", "%2F")+" https://example.com/x.tgz https://example.com/r.git#refs/heads/main" {
		t.Errorf("resolved dependencies %v", uris)
	}
}

func TestNothingIsAttachedWhenProvenanceIsOffOrTheTarballWasPushedAsItIsOrTheImageIsUnchanged(t *testing.T) {
	ctx := context.Background()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "unexpected", http.StatusInternalServerError)
	}))
	defer srv.Close()
	reg, _ := name.NewRegistry(strings.TrimPrefix(srv.URL, "http://"))
	sess, err := push.NewSession(ctx, authn.Anonymous, http.DefaultTransport, reg)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(16, 1)
	res := push.Result{Pushed: []string{reg.Name() + "/a:v1"}, Image: img}
	base := settings.Plan{Host: reg.Name(), Repo: "a", Tags: []string{"v1"}}
	off, pushOnly, on := base, base, base
	off.Provenance = provenanceinput.Mode{}.Plan(provenanceinput.KMSKey{})
	pushOnly.PushOnly, pushOnly.Provenance = true, provenanceinput.Mode{V: "min"}.Plan(provenanceinput.KMSKey{})
	on.Provenance = provenanceinput.Mode{V: "min"}.Plan(provenanceinput.KMSKey{})
	unchanged := res
	unchanged.Unchanged = true
	for _, c := range []struct {
		p   *settings.Plan
		res push.Result
	}{{&off, res}, {&pushOnly, res}, {&on, unchanged}} {
		if got := Built(ctx, sess, Run{Plan: c.p, OnPhase: func(string) { t.Error("provenance phase entered") }}, c.res); got != nil {
			t.Errorf("attached %v", got)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d registry requests", n)
	}
}
