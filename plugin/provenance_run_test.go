package plugin

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// statement is the part of a provenance statement the run's tests read.
type statement struct {
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate struct {
		BuildDefinition struct {
			ExternalParameters   map[string]any `json:"externalParameters"`
			ResolvedDependencies []struct {
				Name   string            `json:"name"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
	} `json:"predicate"`
}

// referredStatement reads the one provenance referring to digest in repo
// (through the referrers API or its fallback tag) and returns its digest
// and statement, after checking its subject.
func referredStatement(t *testing.T, repo, digest string) (string, statement) {
	t.Helper()
	ref, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Referrers(ref)
	if err != nil {
		t.Fatalf("referrers of %s: %v", ref, err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 1 || im.Manifests[0].ArtifactType != "application/vnd.in-toto+json" {
		t.Fatalf("referrers of %s: %+v, want one in-toto artifact", ref, im.Manifests)
	}
	art, err := remote.Image(ref.Context().Digest(im.Manifests[0].Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := art.Layers()
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	raw, _ := io.ReadAll(rc)
	var st statement
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("provenance is not a statement: %v\n%s", err, raw)
	}
	if len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != digest {
		t.Errorf("provenance subject %+v, want %s", st.Subject, digest)
	}
	return im.Manifests[0].Digest.String(), st
}

// A registry that refuses the provenance (a policy denies the upload)
// costs a warning that names the reason, not the pushed image.
func TestARefusedProvenanceWarnsWithTheReasonAndTheRunSucceeds(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte("application/vnd.in-toto+json")) {
				http.Error(w, `{"errors":[{"code":"DENIED","message":"policy denies the upload"}]}`, http.StatusForbidden)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	amd := archImage(t, host+"/team/app:1-amd64", "amd64")
	out := t.TempDir()
	_, logText, err := runIndex(t, host, map[string]string{
		"PLUGIN_INDEX_SOURCES": "1-amd64", "PLUGIN_TAGS": "1", "DRONE_OUTPUT": filepath.Join(out, "drone.env"),
	}, &fakeRegistry{})
	if err != nil {
		t.Fatalf("the run failed over its provenance: %v\n%s", err, logText)
	}
	if !strings.Contains(logText, "provenance of "+amd+" not attached") || !strings.Contains(logText, "policy denies the upload") {
		t.Errorf("no warning naming the reason:\n%s", logText)
	}
	if env := readOutput(t, filepath.Join(out, "drone.env")); strings.Contains(env, "provenance_digest") || !strings.Contains(env, "tags=1") {
		t.Errorf("DRONE_OUTPUT = %q", env)
	}
}

// A KMS key that cannot sign costs a warning naming the setting, and no
// unsigned statement is attached in its place.
func TestAKeyThatCannotSignWarnsAndAttachesNothing(t *testing.T) {
	host := registryHost(t)
	amd := archImage(t, host+"/team/app:1-amd64", "amd64")
	_, logText, err := runIndex(t, host, map[string]string{
		"PLUGIN_INDEX_SOURCES": "1-amd64", "PLUGIN_TAGS": "1", "PLUGIN_PROVENANCE_KMS_KEY": "alias/ci-provenance",
	}, &fakeRegistry{})
	if err != nil {
		t.Fatalf("the run failed over its provenance: %v\n%s", err, logText)
	}
	if !strings.Contains(logText, "provenance not attached: no KMS client for PLUGIN_PROVENANCE_KMS_KEY alias/ci-provenance") {
		t.Errorf("no warning naming the key:\n%s", logText)
	}
	ref, _ := name.NewDigest(host + "/team/app@" + amd)
	if idx, err := remote.Referrers(ref); err == nil {
		if im, _ := idx.IndexManifest(); len(im.Manifests) != 0 {
			t.Errorf("referrers %+v attached without the signature", im.Manifests)
		}
	}
}
