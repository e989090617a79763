package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
)

// provenanceDockerfile pulls a base image and copies from a second image,
// both by full reference: the provenance must list both with digests.
func provenanceDockerfile(tools string) string {
	return "FROM " + baseImage + "\n" +
		"ARG GREETING\n" +
		"COPY --from=" + tools + " /bin/busybox /tools/busybox\n" +
		"RUN --mount=type=secret,id=tok test -s /run/secrets/tok && echo \"$GREETING\" > /greeting\n"
}

// referrer is the one artifact referring to digest in repo, read back as a
// client reads it (the registry here, distribution 2.8, has no referrers
// API: go-containerregistry reads the sha256-<hex> fallback tag), with its
// manifest and payload.
func referrer(t *testing.T, repo, digest string) (v1.Descriptor, *v1.Manifest, []byte) {
	t.Helper()
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	fallback := ref.Context().Tag(strings.Replace(digest, ":", "-", 1))
	if _, err := remote.Head(fallback, opts...); err != nil {
		t.Errorf("fallback tag %s: %v", fallback, err)
	}
	idx, err := remote.Referrers(ref, opts...)
	if err != nil {
		t.Fatalf("referrers of %s: %v", ref, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("referrers of %s: %+v, want one", ref, im.Manifests)
	}
	art, err := remote.Image(ref.Context().Digest(im.Manifests[0].Digest.String()), opts...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := art.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := art.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("artifact layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	payload, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return im.Manifests[0], m, payload
}

// slsaStatement is what the tests read of a statement.
type slsaStatement struct {
	PredicateType string `json:"predicateType"`
	Subject       []struct {
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
		RunDetails struct {
			Metadata struct {
				InvocationID string `json:"invocationId"`
			} `json:"metadata"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

// checkStatement checks the subject, the images with their digests and
// the invocation, and returns the external parameters.
func checkStatement(t *testing.T, raw []byte, image, digest string, images map[string]string) map[string]any {
	t.Helper()
	var st slsaStatement
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("provenance is not JSON: %v\n%s", err, raw)
	}
	if st.PredicateType != "https://slsa.dev/provenance/v1" {
		t.Errorf("predicate type %q", st.PredicateType)
	}
	if len(st.Subject) != 1 || st.Subject[0].Name != image || "sha256:"+st.Subject[0].Digest["sha256"] != digest {
		t.Errorf("subject %+v, want %s@%s", st.Subject, image, digest)
	}
	got := map[string]string{}
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		if d.Name != "" {
			got[d.Name] = "sha256:" + d.Digest["sha256"]
		}
	}
	for ref, want := range images {
		if got[ref] != want {
			t.Errorf("resolved dependency %s = %q, want %s (all: %v)", ref, got[ref], want, got)
		}
	}
	if st.Predicate.RunDetails.Metadata.InvocationID != "https://ci.example/team/app/7" {
		t.Errorf("invocation id %q", st.Predicate.RunDetails.Metadata.InvocationID)
	}
	return st.Predicate.BuildDefinition.ExternalParameters
}

func TestProvenanceIsAttachedThroughTheFallbackTagWithMaterialsAndNoSecret(t *testing.T) {
	addRepos("prov/app")
	tools, err := stack.PushBase("prov/tools")
	if err != nil {
		t.Fatal(err)
	}
	const tok, argValue = "TOKVALUE-8c1d2e3f", "ARGVALUE-41b7"
	ws := writeFiles(t, map[string]string{"Dockerfile": provenanceDockerfile(tools)})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO": "prov/app", "PLUGIN_TAGS": "v1",
		"PLUGIN_BUILD_ARGS":       "GREETING=" + argValue,
		"PLUGIN_SECRETS_FROM_ENV": "tok=MY_TOKEN", "MY_TOKEN": tok, "SANDBOX_ENV": "MY_TOKEN",
		"DRONE_BUILD_LINK": "https://ci.example/team/app/7", "DRONE_COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
		"DRONE_OUTPUT": "/harness/drone.env", "PLUGIN_ARTIFACT_FILE": "artifact.json",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	image := stack.Registry.Addr + "/prov/app"
	digest := digestOf(t, image+":v1")
	desc, m, payload := referrer(t, image, digest)
	if desc.ArtifactType != "application/vnd.in-toto+json" || m.Subject == nil || m.Subject.Digest.String() != digest || m.Layers[0].MediaType != "application/vnd.in-toto+json" {
		t.Errorf("artifact %+v: subject %+v, layer %s", desc, m.Subject, m.Layers[0].MediaType)
	}
	ext := checkStatement(t, payload, image, digest, map[string]string{baseImage: digestOf(t, baseImage), tools: digestOf(t, tools)})
	if names, _ := ext["buildArgNames"].([]any); len(names) != 1 || names[0] != "GREETING" {
		t.Errorf("build-arg names %v, want [GREETING]", ext["buildArgNames"])
	}
	if ext["dockerfile"] != "Dockerfile" || ext["context"] != "." {
		t.Errorf("external parameters %v", ext)
	}
	for _, secret := range []string{tok, argValue, "local-default-secret"} {
		if strings.Contains(string(payload), secret) {
			t.Errorf("the provenance holds %.8s... (min mode: no build-arg value, never a secret)", secret)
		}
	}
	// The tag is still the image itself, not an index of attestations.
	if tm, err := remote.Get(mustTag(t, image+":v1"), mustOpts(t)...); err != nil || tm.Digest.String() != digest || strings.Contains(string(tm.MediaType), "index") {
		t.Errorf("tag v1: %v %v", tm, err)
	}
	env := readFile(t, filepath.Join(ws, "drone.env"))
	if !strings.Contains(env, "provenance_digest="+desc.Digest.String()+"\n") {
		t.Errorf("DRONE_OUTPUT %q lacks the provenance digest %s", env, desc.Digest)
	}
	if a := readFile(t, filepath.Join(ws, "artifact.json")); !strings.Contains(a, `"provenanceDigests":["`+desc.Digest.String()+`"]`) {
		t.Errorf("artifact file %s lacks the provenance digest", a)
	}
}

func TestProvenanceSignedThroughKMSVerifiesWithTheKeyAndHoldsMaxModeValues(t *testing.T) {
	addRepos("prov/signed")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	arn := stack.API.AddKMSKey("5e6f7a8b-1111-4222-8333-944455556666", "it-provenance", key)
	const tok, argValue = "TOKVALUE-2a9b", "ARGVALUE-max-77"
	ws := writeFiles(t, map[string]string{"Dockerfile": provenanceDockerfile(baseImage)})
	r := runPlugin(t, ws, map[string]string{
		"PLUGIN_REPO": "prov/signed", "PLUGIN_TAGS": "v1",
		"PLUGIN_PROVENANCE": "max", "PLUGIN_PROVENANCE_KMS_KEY": "alias/it-provenance",
		// A build arg that carries the secret's value is masked in max mode.
		"PLUGIN_BUILD_ARGS":       "GREETING=" + argValue + ",LEAK=" + tok,
		"PLUGIN_SECRETS_FROM_ENV": "tok=MY_TOKEN", "MY_TOKEN": tok, "SANDBOX_ENV": "MY_TOKEN",
		"DRONE_BUILD_LINK": "https://ci.example/team/app/7",
	})
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	image := stack.Registry.Addr + "/prov/signed"
	digest := digestOf(t, image+":v1")
	_, m, payload := referrer(t, image, digest)
	if m.Layers[0].MediaType != "application/vnd.dsse.envelope.v1+json" {
		t.Errorf("layer media type %s, want a DSSE envelope", m.Layers[0].MediaType)
	}
	var env dsse.Envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		t.Fatalf("not a DSSE envelope: %v\n%s", err, payload)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	v, err := signerverifier.NewECDSASignerVerifierFromSSLibKey(&signerverifier.SSLibKey{
		KeyType: "ecdsa", Scheme: "ecdsa-sha2-nistp256", KeyID: arn,
		KeyVal: signerverifier.KeyVal{Public: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
	})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := dsse.NewEnvelopeVerifier(v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Verify(context.Background(), &env); err != nil {
		t.Fatalf("the envelope does not verify with the KMS key: %v", err)
	}
	statement, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	ext := checkStatement(t, statement, image, digest, map[string]string{baseImage: digestOf(t, baseImage)})
	if args, _ := ext["buildArgs"].(map[string]any); args["GREETING"] != argValue || args["LEAK"] != "[redacted]" {
		t.Errorf("max mode build args %v, want GREETING=%s", ext["buildArgs"], argValue)
	}
	if strings.Contains(string(statement), tok) || strings.Contains(string(payload), tok) {
		t.Error("the provenance holds the build secret's value")
	}
	if stack.API.Count("Sign") == 0 {
		t.Error("KMS Sign was never called")
	}
}

func mustTag(t *testing.T, ref string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func mustOpts(t *testing.T) []remote.Option {
	t.Helper()
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// checkStatementSource checks an index-mode statement: its subject is the
// platform manifest and its one dependency the source image.
func checkStatementSource(t *testing.T, raw []byte, source, digest string) {
	t.Helper()
	var st slsaStatement
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("provenance is not JSON: %v", err)
	}
	deps := st.Predicate.BuildDefinition.ResolvedDependencies
	if len(st.Subject) != 1 || "sha256:"+st.Subject[0].Digest["sha256"] != digest || len(deps) != 1 || deps[0].Name != source || "sha256:"+deps[0].Digest["sha256"] != digest {
		t.Errorf("index provenance: subject %+v, dependencies %+v; want %s from %s", st.Subject, deps, digest, source)
	}
}
