package values

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBoolAcceptsCommonSpellings(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"true", true, false}, {"TRUE", true, false}, {"1", true, false}, {"yes", true, false}, {" on ", true, false},
		{"false", false, false}, {"0", false, false}, {"No", false, false}, {"", false, false},
		{"maybe", false, true}, {"2", false, true},
	} {
		got, err := ParseBool(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseListSplitsCommasOrJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{"commas trimmed", " a, b ,c ", []string{"a", "b", "c"}, ""},
		{"empty items dropped", "a,,b,", []string{"a", "b"}, ""},
		{"empty", "", nil, ""},
		{"json keeps commas", `["a,b", "c"]`, []string{"a,b", "c"}, ""},
		{"bad json", `["a",`, nil, "JSON array"},
		{"json of numbers", `[1,2]`, nil, "JSON array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseList(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestParseKeyValuesTakesListsAndJSONObjects(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{"list", "a=1,b=x=y", []string{"a=1", "b=x=y"}, ""},
		{"json object sorted", `{"z":"1","a":"two words"}`, []string{"a=two words", "z=1"}, ""},
		{"json non-string values", `{"n":3,"b":true}`, []string{"b=true", "n=3"}, ""},
		{"empty key", "=v", nil, "empty key"},
		{"no equals sign", "a=1,ci.build", nil, `"ci.build" has no = (want key=value)`},
		{"empty value kept", "a=", []string{"a="}, ""},
		{"space in key", "a b=c", nil, "white space"},
		{"bad json", `{"a":`, nil, "JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseKeyValues(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestParseHoursTakesNumbersAndDurations(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"336", 336 * time.Hour, false}, {"1.5", 90 * time.Minute, false}, {"36h", 36 * time.Hour, false},
		{"0", 0, true}, {"-1", 0, true}, {"soon", 0, true},
	} {
		got, err := parseHours(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("parseHours(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"a,b", `["x,y"]`, "", ",,", "[", `["a",1]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, err := parseList(s)
		if err != nil {
			return
		}
		for _, it := range items {
			if it == "" || strings.TrimSpace(it) != it {
				t.Fatalf("item %q is empty or untrimmed", it)
			}
			if !strings.HasPrefix(strings.TrimSpace(s), "[") && strings.Contains(it, ",") {
				t.Fatalf("comma list item %q holds a comma", it)
			}
		}
	})
}

func FuzzParseKeyValues(f *testing.F) {
	for _, s := range []string{"a=b,c=d", `{"a":"b"}`, "=x", "k", `{"a":{"b":1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, err := parseKeyValues(s)
		if err != nil {
			return
		}
		for _, it := range items {
			k, _, ok := strings.Cut(it, "=")
			if !ok || strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t\n") {
				t.Fatalf("accepted bad key in %q", it)
			}
		}
	})
}

func TestParseWaitTakesDurationsAndSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "0": 0, " 30 ": 30 * time.Second, "1m30s": 90 * time.Second, "6h": 6 * time.Hour} {
		if got, err := parseWait(in); err != nil || got != want {
			t.Errorf("parseWait(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"-1s", "6h1s", "99999999999", "10 minutes", "1.5"} {
		if got, err := parseWait(in); err == nil {
			t.Errorf("parseWait(%q) = %s, want an error", in, got)
		}
	}
}

// FuzzParseWait: any accepted wait is within bounds.
func FuzzParseWait(f *testing.F) {
	for _, s := range []string{"0", "90", "30m", "-5s", "1e9h", "6h0m1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseWait(s)
		if err == nil && (d < 0 || d > MaxWait) {
			t.Fatalf("parseWait(%q) = %s, out of range", s, d)
		}
		if err != nil && !strings.Contains(err.Error(), "duration") && !strings.Contains(err.Error(), "range") {
			t.Fatalf("parseWait(%q): error %q says neither what was expected", s, err)
		}
	})
}

func TestOptionalIntTellsAValueFromNothing(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    int
		set     bool
		wantErr string
	}{
		{in: "", want: 0, set: false},
		{in: "  ", want: 0, set: false},
		{in: "0", want: 0, set: true},
		{in: " 9 ", want: 9, set: true},
		{in: "-1", want: -1, set: true},
		{in: "+3", want: 3, set: true},
		{in: "1.5", set: true, wantErr: `"1.5" is not a whole number`},
		{in: "fast", set: true, wantErr: `"fast" is not a whole number`},
		{in: "99999999999999999999", set: true, wantErr: "is not a whole number"},
	} {
		var n OptionalInt
		_ = n.Decode(tc.in)
		err := n.DecodeErr()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Decode(%q): err = %v, want %q", tc.in, err, tc.wantErr)
			}
		} else if err != nil || n.V != tc.want {
			t.Errorf("Decode(%q) = %d, %v; want %d", tc.in, n.V, err, tc.want)
		}
		if n.Set != tc.set {
			t.Errorf("Decode(%q): Set = %v, want %v", tc.in, n.Set, tc.set)
		}
	}
}

func FuzzOptionalInt(f *testing.F) {
	for _, s := range []string{"", " ", "0", "-1", "+7", "22", "1e3", "0x10", "９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var n OptionalInt
		_ = n.Decode(s)
		blank := strings.TrimSpace(s) == ""
		switch {
		case n.Set == blank:
			t.Fatalf("Decode(%q): Set = %v", s, n.Set)
		case n.DecodeErr() != nil && n.V != 0:
			t.Fatalf("Decode(%q) = %d with error %v", s, n.V, n.DecodeErr())
		case n.DecodeErr() == nil && n.Set:
			var again OptionalInt
			_ = again.Decode(strconv.Itoa(n.V))
			if again.V != n.V || again.DecodeErr() != nil {
				t.Fatalf("Decode(%q) = %d, which does not read back", s, n.V)
			}
		}
	})
}
