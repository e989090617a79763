// Package kmssign signs with an AWS KMS asymmetric key: it is the DSSE
// signer (go-securesystemslib's dsse.Signer) of the provenance statement.
// The private key never leaves KMS; the digest of the message is sent, so
// that a statement of any size can be signed (KMS signs at most 4 KiB of
// raw message), and the signature is what cosign and other verifiers of
// awskms keys check: ECDSA (ASN.1 DER) or RSA over SHA-256/384/512.
package kmssign

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// API is the part of the KMS client the signer uses, with the SDK's own
// signatures: *kms.Client satisfies it, tests use the SDK against the
// local stand-in.
type API interface {
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, opts ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
}

// Signer signs with one KMS key.
type Signer struct {
	api    API
	keyARN string
	alg    types.SigningAlgorithmSpec
	hash   crypto.Hash
	public crypto.PublicKey
}

// NewClient is the KMS client of cfg (the run's AWS credentials, with any
// role assumed), in region when the key's ARN names one.
func NewClient(cfg aws.Config, region string) *kms.Client {
	return kms.NewFromConfig(cfg, func(o *kms.Options) {
		if region != "" {
			o.Region = region
		}
	})
}

// algorithms are the signing algorithms this signer uses, by preference:
// those cosign's awskms signer verifies.
var algorithms = []struct {
	alg  types.SigningAlgorithmSpec
	hash crypto.Hash
}{
	{types.SigningAlgorithmSpecEcdsaSha256, crypto.SHA256},
	{types.SigningAlgorithmSpecEcdsaSha384, crypto.SHA384},
	{types.SigningAlgorithmSpecEcdsaSha512, crypto.SHA512},
	{types.SigningAlgorithmSpecRsassaPkcs1V15Sha256, crypto.SHA256},
	{types.SigningAlgorithmSpecRsassaPssSha256, crypto.SHA256},
}

// New reads the key's public half and picks its signing algorithm. key is
// a key id, key ARN, alias name or alias ARN.
func New(ctx context.Context, api API, key string) (*Signer, error) {
	out, err := api.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("reading the public key of KMS key %s: %w", key, err)
	}
	if out.KeyUsage != types.KeyUsageTypeSignVerify {
		return nil, fmt.Errorf("KMS key %s is for %s, not SIGN_VERIFY", key, out.KeyUsage)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("parsing the public key of KMS key %s: %w", key, err)
	}
	s := &Signer{api: api, keyARN: aws.ToString(out.KeyId), public: pub}
	for _, a := range algorithms {
		for _, have := range out.SigningAlgorithms {
			if have == a.alg {
				s.alg, s.hash = a.alg, a.hash
				return s, nil
			}
		}
	}
	return nil, fmt.Errorf("KMS key %s offers none of the signing algorithms verifiers accept (%v)", key, out.SigningAlgorithms)
}

// Sign signs data's digest (DSSE hands in the PAE of the payload).
func (s *Signer) Sign(ctx context.Context, data []byte) ([]byte, error) {
	h := s.hash.New()
	h.Write(data)
	out, err := s.api.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(s.keyARN),
		Message:          h.Sum(nil),
		MessageType:      types.MessageTypeDigest,
		SigningAlgorithm: s.alg,
	})
	if err != nil {
		return nil, fmt.Errorf("signing with KMS key %s: %w", s.keyARN, err)
	}
	if len(out.Signature) == 0 {
		return nil, errors.New("signing with KMS key " + s.keyARN + ": empty signature")
	}
	return out.Signature, nil
}

// KeyID is the key's ARN, as KMS names it: the keyid of the envelope's
// signature.
func (s *Signer) KeyID() (string, error) { return s.keyARN, nil }

// Public is the key's public half, for verifiers.
func (s *Signer) Public() crypto.PublicKey { return s.public }

// Algorithm is the signing algorithm chosen, as KMS names it.
func (s *Signer) Algorithm() string { return string(s.alg) }
