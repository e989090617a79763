package localecr

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"net/http"
)

// ServiceKMS is the service of KMS calls (X-Amz-Target TrentService.*).
const ServiceKMS = "kms"

const kmsTargetPrefix = "TrentService."

// kmsKey is an asymmetric signing key the stand-in holds.
type kmsKey struct {
	arn string
	key *ecdsa.PrivateKey
}

// AddKMSKey gives the stand-in an ECC_NIST_P256 signing key, known by its
// id, its ARN and, when set, alias/<alias> and the alias ARN (test setup).
// It returns the key's ARN.
func (a *API) AddKMSKey(id, alias string, key *ecdsa.PrivateKey) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.kmsKeys == nil {
		a.kmsKeys = map[string]*kmsKey{}
	}
	arnPrefix := "arn:aws:kms:us-east-1:" + AccountID + ":"
	k := &kmsKey{arn: arnPrefix + "key/" + id, key: key}
	a.kmsKeys[id], a.kmsKeys[k.arn] = k, k
	if alias != "" {
		a.kmsKeys["alias/"+alias], a.kmsKeys[arnPrefix+"alias/"+alias] = k, k
	}
	return k.arn
}

// kmsRequest holds the fields of GetPublicKey and Sign the stand-in reads;
// the SDK sends blobs as base64, which encoding/json decodes into []byte.
type kmsRequest struct {
	KeyID            string `json:"KeyId"`
	Message          []byte `json:"Message"`
	MessageType      string `json:"MessageType"`
	SigningAlgorithm string `json:"SigningAlgorithm"`
}

// serveKMS answers GetPublicKey and Sign (ECDSA_SHA_256, RAW or DIGEST),
// as KMS does.
func (a *API) serveKMS(w http.ResponseWriter, op string, body []byte) {
	var in kmsRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeECRError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	a.mu.Lock()
	k := a.kmsKeys[in.KeyID]
	a.mu.Unlock()
	if k == nil {
		writeECRError(w, http.StatusBadRequest, "NotFoundException", "Key '"+in.KeyID+"' does not exist")
		return
	}
	switch op {
	case "GetPublicKey":
		der, err := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
		if err != nil {
			writeECRError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
			return
		}
		writeJSON(w, map[string]any{"KeyId": k.arn, "PublicKey": der, "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": []string{"ECDSA_SHA_256"}})
	case "Sign":
		if in.SigningAlgorithm != "ECDSA_SHA_256" {
			writeECRError(w, http.StatusBadRequest, "InvalidKeyUsageException", "signing algorithm "+in.SigningAlgorithm+" is not valid for this key")
			return
		}
		digest := in.Message
		if in.MessageType != "DIGEST" {
			h := crypto.SHA256.New()
			h.Write(in.Message)
			digest = h.Sum(nil)
		}
		if len(digest) != 32 {
			writeECRError(w, http.StatusBadRequest, "ValidationException", "digest length does not match the signing algorithm")
			return
		}
		sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest)
		if err != nil {
			writeECRError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
			return
		}
		writeJSON(w, map[string]any{"KeyId": k.arn, "Signature": sig, "SigningAlgorithm": in.SigningAlgorithm})
	default:
		writeECRError(w, http.StatusBadRequest, "UnknownOperationException", op)
	}
}
