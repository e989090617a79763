package kmssign

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/provenance"
	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// kmsStandIn serves KMS on loopback with a key generated here, and returns
// a real SDK client pointed at it.
func kmsStandIn(t *testing.T) (API, *ecdsa.PrivateKey, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	api := localecr.NewAPI(nil)
	arn := api.AddKMSKey("1234abcd-12ab-34cd-56ef-1234567890ab", "ci-provenance", key)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAKMS", "secret", ""), BaseEndpoint: aws.String(srv.URL)}
	return NewClient(cfg, ""), key, arn
}

// verifier is go-securesystemslib's ECDSA verifier for the public key, as
// a verifier of the envelope would load it from a PEM file.
func verifier(t *testing.T, pub *ecdsa.PublicKey, keyID string) dsse.Verifier {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	v, err := signerverifier.NewECDSASignerVerifierFromSSLibKey(&signerverifier.SSLibKey{
		KeyType: "ecdsa", Scheme: "ecdsa-sha2-nistp256", KeyID: keyID, KeyVal: signerverifier.KeyVal{Public: string(pemKey)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStatementSignedThroughKMSVerifiesWithTheKeysPublicHalf(t *testing.T) {
	ctx := context.Background()
	client, key, arn := kmsStandIn(t)
	s, err := New(ctx, client, "alias/ci-provenance")
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := s.KeyID(); id != arn || s.Algorithm() != "ECDSA_SHA_256" {
		t.Errorf("key id %q, algorithm %q; want %q, ECDSA_SHA_256", id, s.Algorithm(), arn)
	}
	// Larger than the 4 KiB KMS signs raw: the digest is what is sent.
	statement := []byte(`{"_type":"https://in-toto.io/Statement/v1","pad":"` + strings.Repeat("x", 8<<10) + `"}`)
	raw, err := provenance.Sign(ctx, statement, s)
	if err != nil {
		t.Fatal(err)
	}
	var env dsse.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	if env.PayloadType != "application/vnd.in-toto+json" || len(env.Signatures) != 1 || env.Signatures[0].KeyID != arn {
		t.Fatalf("envelope: payload type %q, signatures %+v", env.PayloadType, env.Signatures)
	}
	if p, _ := base64.StdEncoding.DecodeString(env.Payload); string(p) != string(statement) {
		t.Error("the envelope's payload is not the statement")
	}
	ev, err := dsse.NewEnvelopeVerifier(verifier(t, &key.PublicKey, arn))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Verify(ctx, &env); err != nil {
		t.Fatalf("verifying the envelope: %v", err)
	}

	env.Payload = base64.StdEncoding.EncodeToString([]byte(`{"_type":"tampered"}`))
	if _, err := ev.Verify(ctx, &env); err == nil {
		t.Fatal("a tampered payload verified")
	}
}

func TestUnknownKeyIsReportedByName(t *testing.T) {
	client, _, _ := kmsStandIn(t)
	_, err := New(context.Background(), client, "alias/missing")
	if err == nil || !strings.Contains(err.Error(), "KMS key alias/missing") || !strings.Contains(err.Error(), "NotFoundException") {
		t.Fatalf("err = %v", err)
	}
}
