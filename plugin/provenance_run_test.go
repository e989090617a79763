package plugin

import (
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
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
