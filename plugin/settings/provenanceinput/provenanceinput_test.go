package provenanceinput

import (
	"strings"
	"testing"
)

func TestModeTakesBuildxWordsAndDefaultsToMin(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "min", ""},
		{"min", "min", ""},
		{" MAX ", "max", ""},
		{"mode=max", "max", ""},
		{"true", "min", ""},
		{"false", "", ""},
		{"0", "", ""},
		{"full", "", `"full" is not a provenance mode (want min, max or false)`},
	} {
		var m Mode
		if err := m.Decode(tc.in); err != nil {
			t.Fatalf("Decode(%q) failed the decode: %v", tc.in, err)
		}
		if m.V != tc.want || (m.DecodeErr() == nil) != (tc.err == "") || (tc.err != "" && m.DecodeErr().Error() != tc.err) {
			t.Errorf("Decode(%q) = %q, %v; want %q, %q", tc.in, m.V, m.DecodeErr(), tc.want, tc.err)
		}
	}
}

func TestKMSKeyAcceptsIdsARNsAndAliasesOnly(t *testing.T) {
	good := map[string]string{
		"1234abcd-12ab-34cd-56ef-1234567890ab":                                                  "1234abcd-12ab-34cd-56ef-1234567890ab",
		"mrk-1234abcd12ab34cd56ef1234567890ab":                                                  "mrk-1234abcd12ab34cd56ef1234567890ab",
		"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab":           "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"alias/ci/provenance_key-1":                                                             "alias/ci/provenance_key-1",
		"arn:aws-cn:kms:cn-north-1:123456789012:alias/ci":                                       "arn:aws-cn:kms:cn-north-1:123456789012:alias/ci",
		"awskms:///arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab": "arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"": "",
	}
	for in, want := range good {
		var k KMSKey
		_ = k.Decode(in)
		if k.DecodeErr() != nil || k.V != want {
			t.Errorf("Decode(%q) = %q, %v; want %q", in, k.V, k.DecodeErr(), want)
		}
	}
	for _, in := range []string{"my-key", "alias/", "alias/aws/ecr", "arn:aws:kms:eu-west-1:123456789012:key/nope", "arn:aws:iam::123456789012:role/x", "alias/has space", "awskms://host/alias/x"} {
		var k KMSKey
		_ = k.Decode(in)
		if k.DecodeErr() == nil || !strings.Contains(k.DecodeErr().Error(), "is not a KMS key") {
			t.Errorf("Decode(%q) accepted as %q", in, k.V)
		}
	}
}

func TestPlanSaysWhatIsAttachedAndTheKeysRegion(t *testing.T) {
	p := Mode{V: Max}.Plan(KMSKey{V: "arn:aws:kms:ap-south-1:123456789012:alias/ci"})
	if p.Mode != Max || p.Region() != "ap-south-1" || !strings.Contains(p.Attach, "signed with KMS key arn:aws:kms:ap-south-1:123456789012:alias/ci") {
		t.Errorf("plan %+v, region %q", p, p.Region())
	}
	if p := (Mode{V: Min}).Plan(KMSKey{V: "alias/ci"}); p.Region() != "" || !strings.Contains(p.Attach, "mode=min") {
		t.Errorf("plan %+v, region %q", p, p.Region())
	}
	if p := (Mode{}).Plan(KMSKey{V: "alias/ci"}); p.Mode != "" || p.KMSKey != "" || !strings.Contains(p.Attach, "PLUGIN_PROVENANCE_KMS_KEY is not used") {
		t.Errorf("provenance off: plan %+v", p)
	}
}

// Any input decodes without panicking; what is accepted decodes again to
// itself, and what is refused says why, quoting the input.
func FuzzProvenanceSettings(f *testing.F) {
	for _, s := range []string{"", "min", "max", "false", "alias/ci", "arn:aws:kms:eu-west-1:123456789012:alias/x", "awskms:///alias/x", "mrk-1234abcd12ab34cd56ef1234567890ab", "x\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m Mode
		_ = m.Decode(s)
		if m.DecodeErr() == nil {
			var again Mode
			_ = again.Decode(m.V)
			if m.V != "" && (again.V != m.V || again.DecodeErr() != nil) {
				t.Errorf("mode %q: %q decodes to %q, %v", s, m.V, again.V, again.DecodeErr())
			}
		}
		var k KMSKey
		_ = k.Decode(s)
		if err := k.DecodeErr(); err != nil {
			if k.V != "" || !strings.Contains(err.Error(), "is not a KMS key") {
				t.Errorf("key %q refused as %v, value %q", s, err, k.V)
			}
			return
		}
		var again KMSKey
		_ = again.Decode(k.V)
		if again.V != k.V || again.DecodeErr() != nil || strings.ContainsAny(k.V, " \t\n") {
			t.Errorf("key %q: %q decodes to %q, %v", s, k.V, again.V, again.DecodeErr())
		}
	})
}
