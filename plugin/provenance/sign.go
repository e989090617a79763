package provenance

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// EnvelopeMediaType is the media type of a DSSE envelope.
const EnvelopeMediaType = "application/vnd.dsse.envelope.v1+json"

// Sign wraps a statement in a DSSE envelope signed by s (payload type
// application/vnd.in-toto+json, the signature over DSSE's pre-authentication
// encoding), the form cosign verify-attestation reads.
func Sign(ctx context.Context, statement []byte, s dsse.Signer) ([]byte, error) {
	es, err := dsse.NewEnvelopeSigner(s)
	if err != nil {
		return nil, fmt.Errorf("signing provenance: %w", err)
	}
	env, err := es.SignPayload(ctx, PayloadType, statement)
	if err != nil {
		return nil, fmt.Errorf("signing provenance: %w", err)
	}
	return json.Marshal(env)
}
