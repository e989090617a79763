// Package provenanceinput decodes the supply-chain settings:
// PLUGIN_PROVENANCE (min, max or false, in buildx's words) and
// PLUGIN_PROVENANCE_KMS_KEY (the AWS KMS key that signs the statement). Like
// package values, its decoders never fail a decode: they keep the problem for
// validation, which reports every problem at once. It is a pure helper of
// package settings.
package provenanceinput

import (
	"fmt"
	"regexp"
	"strings"
)

// The modes of PLUGIN_PROVENANCE.
const (
	Min = "min" // the default: build-arg names, no values
	Max = "max" // build-arg values too, as buildx's mode=max
)

// Mode is PLUGIN_PROVENANCE: "min", "max", or "" when provenance is off.
type Mode struct {
	V   string
	err error
}

// Decode implements envconfig.Decoder; empty means the default, min.
func (m *Mode) Decode(s string) error {
	m.V, m.err = parseMode(s)
	return nil
}

// DecodeErr returns the problem found while decoding, or nil.
func (m Mode) DecodeErr() error { return m.err }

func parseMode(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", Min, "true", "1", "mode=min":
		return Min, nil
	case Max, "mode=max":
		return Max, nil
	case "false", "0", "off", "none":
		return "", nil
	}
	return "", fmt.Errorf("%q is not a provenance mode (want min, max or false)", s)
}

var (
	keyIDRE    = regexp.MustCompile(`^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	aliasRE    = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	kmsARNRE   = regexp.MustCompile(`^arn:aws(?:-[a-z]+)*:kms:([a-z0-9-]+):\d{12}:(key/\S+|alias/\S+)$`)
	awskmsPref = "awskms:///" // cosign's form, without an endpoint
)

// KMSKey is PLUGIN_PROVENANCE_KMS_KEY: a KMS key id, key ARN, alias name
// (alias/...) or alias ARN, also in cosign's awskms:///... form.
type KMSKey struct {
	V   string // without the awskms:/// prefix; empty: unsigned
	err error
}

// Decode implements envconfig.Decoder.
func (k *KMSKey) Decode(s string) error {
	k.V, k.err = parseKey(s)
	return nil
}

// DecodeErr returns the problem found while decoding, or nil.
func (k KMSKey) DecodeErr() error { return k.err }

func parseKey(s string) (string, error) {
	v := strings.TrimPrefix(strings.TrimSpace(s), awskmsPref)
	if v == "" {
		return "", nil
	}
	if m := kmsARNRE.FindStringSubmatch(v); m != nil && keyOrAlias(m[2]) {
		return v, nil
	}
	if keyOrAlias(v) || keyIDRE.MatchString(v) {
		return v, nil
	}
	return "", fmt.Errorf("%q is not a KMS key (want a key id, key ARN, alias/<name> or alias ARN)", s)
}

func keyOrAlias(s string) bool {
	if id, ok := strings.CutPrefix(s, "key/"); ok {
		return keyIDRE.MatchString(id)
	}
	return aliasRE.MatchString(s) && !strings.HasPrefix(s, "alias/aws/")
}

// Plan is what the run attaches to each pushed image manifest.
type Plan struct {
	Mode   string // min or max; empty: nothing is attached
	KMSKey string // empty: the statement is unsigned
	Attach string // in words, for the dry-run plan
}

// Plan joins the two settings.
func (m Mode) Plan(k KMSKey) Plan {
	switch {
	case m.V == "" && k.V != "":
		return Plan{Attach: "nothing (PLUGIN_PROVENANCE=false; PLUGIN_PROVENANCE_KMS_KEY is not used)"}
	case m.V == "":
		return Plan{Attach: "nothing (PLUGIN_PROVENANCE=false)"}
	}
	p := Plan{Mode: m.V, KMSKey: k.V}
	sign := "unsigned in-toto statement"
	if k.V != "" {
		sign = "DSSE envelope signed with KMS key " + k.V
	}
	p.Attach = fmt.Sprintf("SLSA v1 provenance (mode=%s), %s, as an OCI 1.1 referrer of each pushed image manifest", m.V, sign)
	return p
}

// Region is the region of a key given as an ARN; empty for the others,
// which live in the run's region.
func (p Plan) Region() string {
	if m := kmsARNRE.FindStringSubmatch(p.KMSKey); m != nil {
		return m[1]
	}
	return ""
}
