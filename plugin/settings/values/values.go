// Package values holds the decoders of setting values: booleans, counts,
// optional whole numbers, hours, lists and key=value lists. Each implements envconfig.Decoder and
// never fails the decode: it keeps the problem so that validation reports
// every problem at once (envconfig itself stops at the first). SortProblems
// orders the report.
package values

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Checker is a decoded value that may hold a problem.
type Checker interface{ DecodeErr() error }

// parsed is a decoded value with the problem found while decoding it.
type parsed[T any] struct {
	V   T
	err error
}

// DecodeErr returns the problem found while decoding, or nil.
func (p parsed[T]) DecodeErr() error { return p.err }

func (p *parsed[T]) set(v T, err error) { p.V, p.err = v, err }

// Bool accepts true/false, 1/0, yes/no, on/off in any case.
type Bool struct{ parsed[bool] }

// Decode implements envconfig.Decoder.
func (b *Bool) Decode(s string) error {
	b.set(ParseBool(s))
	return nil
}

// ParseBool accepts true/false, 1/0, yes/no, on/off in any case; empty is
// false.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "y", "on":
		return true, nil
	case "false", "0", "no", "n", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want true/false, 1/0, yes/no)", s)
}

// Int is a non-negative whole number.
type Int struct{ parsed[int] }

// Decode implements envconfig.Decoder.
func (n *Int) Decode(s string) error {
	n.set(parseCount(s))
	return nil
}

func parseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.Atoi(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a whole number", s)
	case v < 0:
		return 0, fmt.Errorf("%q is negative", s)
	}
	return v, nil
}

// OptionalInt is a whole number of either sign, or nothing: a variable that
// is unset, empty or blank leaves Set false (and V zero), so that validation
// can tell a value given from the default.
type OptionalInt struct {
	parsed[int]
	Set bool
}

// Decode implements envconfig.Decoder.
func (n *OptionalInt) Decode(s string) error {
	n.set(parseOptionalInt(s))
	n.Set = strings.TrimSpace(s) != ""
	return nil
}

func parseOptionalInt(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return v, nil
}

// Hours is a duration given in hours ("336"), or as a Go duration ("90m").
type Hours struct{ parsed[time.Duration] }

// Decode implements envconfig.Decoder.
func (h *Hours) Decode(s string) error {
	h.set(parseHours(s))
	return nil
}

func parseHours(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		d = time.Duration(f * float64(time.Hour))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("%q is neither a number of hours nor a duration such as 36h", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be more than zero", s)
	}
	return d, nil
}

// List is a comma-separated list, or a JSON array of strings when the value
// starts with "[", so items may hold commas. Items are trimmed; empty items
// are dropped.
type List struct{ parsed[[]string] }

// Decode implements envconfig.Decoder.
func (l *List) Decode(s string) error {
	l.set(parseList(s))
	return nil
}

func parseList(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	var items []string
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &items); err != nil {
			return nil, fmt.Errorf("starts with [ but is not a JSON array of strings: %v", err)
		}
	} else {
		items = strings.Split(s, ",")
	}
	out := items[:0]
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// SemiList is a list separated by semicolons, so items may hold commas.
type SemiList struct{ parsed[[]string] }

// Decode implements envconfig.Decoder.
func (l *SemiList) Decode(s string) error {
	var items []string
	for _, it := range strings.Split(s, ";") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	l.set(items, nil)
	return nil
}

// KeyValues is a list of key=value items (see List), or a JSON object when
// the value starts with "{". The order of the input is kept; JSON objects are
// sorted by key.
type KeyValues struct{ parsed[[]string] }

// Decode implements envconfig.Decoder.
func (kv *KeyValues) Decode(s string) error {
	kv.set(parseKeyValues(s))
	return nil
}

func parseKeyValues(s string) ([]string, error) {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(t), &m); err != nil {
			return nil, fmt.Errorf("starts with { but is not a JSON object: %v", err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]string, 0, len(keys))
		for _, k := range keys {
			var v string
			switch x := m[k].(type) {
			case string:
				v = x
			case nil:
			default:
				b, _ := json.Marshal(x)
				v = string(b)
			}
			out = append(out, k+"="+v)
		}
		return out, checkKeys(out)
	}
	items, err := parseList(s)
	if err != nil {
		return nil, err
	}
	return items, checkKeys(items)
}

func checkKeys(items []string) error {
	for _, it := range items {
		k, _, ok := strings.Cut(it, "=")
		if !ok {
			// kaniko refuses it only after the build has started.
			return fmt.Errorf("%q has no = (want key=value)", it)
		}
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%q has an empty key (want key=value)", it)
		}
		if strings.ContainsAny(k, " \t\n") {
			return fmt.Errorf("key %q contains white space", k)
		}
	}
	return nil
}

// Duration is a length of time such as 90s or 30m; a bare number is seconds.
type Duration struct{ parsed[time.Duration] }

// Decode implements envconfig.Decoder.
func (d *Duration) Decode(s string) error {
	d.set(parseWait(s))
	return nil
}

// MaxWait keeps PLUGIN_INDEX_WAIT well inside the 12 hours an ECR token lives.
const MaxWait = 6 * time.Hour

func parseWait(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if n, nerr := strconv.ParseUint(s, 10, 32); nerr == nil || s == "" {
		d, err = time.Duration(n)*time.Second, nil
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration (want such as 90s, 30m or 1h)", s)
	case d < 0 || d > MaxWait:
		return 0, fmt.Errorf("%q is out of range (0 to %s)", s, MaxWait)
	}
	return d, nil
}

// SortProblems orders a validation report: by variable, and the
// Dockerfile's problems ("file:line: ...") by line.
func SortProblems(probs []string) {
	key := func(p string) (string, int) {
		file, rest, _ := strings.Cut(p, ":")
		line, err := strconv.Atoi(strings.SplitN(rest, ":", 2)[0])
		if err != nil {
			return p, -1
		}
		return file, line
	}
	sort.SliceStable(probs, func(i, j int) bool {
		fi, li := key(probs[i])
		fj, lj := key(probs[j])
		if fi == fj && li >= 0 && lj >= 0 {
			return li < lj
		}
		return probs[i] < probs[j]
	})
}
