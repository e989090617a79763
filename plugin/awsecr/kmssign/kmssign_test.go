package kmssign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
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

// fakeKMS holds an RSA key, as KMS's RSA_2048 keys: it signs the digest it
// is sent with the algorithm asked for.
type fakeKMS struct {
	key  *rsa.PrivateKey
	algs []types.SigningAlgorithmSpec
	used types.SigningAlgorithmSpec
}

func (f *fakeKMS) GetPublicKey(_ context.Context, in *kms.GetPublicKeyInput, _ ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	der, err := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	return &kms.GetPublicKeyOutput{KeyId: aws.String("arn:aws:kms:us-east-1:123456789012:key/rsa"), PublicKey: der, KeyUsage: types.KeyUsageTypeSignVerify, SigningAlgorithms: f.algs}, err
}

func (f *fakeKMS) Sign(_ context.Context, in *kms.SignInput, _ ...func(*kms.Options)) (*kms.SignOutput, error) {
	f.used = in.SigningAlgorithm
	if in.MessageType != types.MessageTypeDigest {
		return nil, errors.New("raw message sent")
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, f.key, crypto.SHA256, in.Message)
	return &kms.SignOutput{Signature: sig}, err
}

var _ API = (*fakeKMS)(nil)

func TestRSAKeySignsWithPKCS1v15OverSHA256OfTheMessage(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeKMS{key: key, algs: []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecRsassaPssSha512, types.SigningAlgorithmSpecRsassaPkcs1V15Sha256}}
	s, err := New(context.Background(), f, "alias/rsa")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("DSSEv1 28 application/vnd.in-toto+json 2 {}")
	sig, err := s.Sign(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(msg)
	if f.used != types.SigningAlgorithmSpecRsassaPkcs1V15Sha256 || rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		t.Errorf("algorithm %s; signature does not verify over SHA-256 of the message", f.used)
	}
}

func TestKeyWithoutAnAlgorithmVerifiersAcceptIsRefused(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, err := New(context.Background(), &fakeKMS{key: key, algs: []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecSm2dsa}}, "alias/sm2")
	if err == nil || !strings.Contains(err.Error(), "offers none of the signing algorithms") {
		t.Fatalf("err = %v", err)
	}
}
