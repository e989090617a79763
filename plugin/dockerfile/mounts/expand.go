package mounts

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
)

// runtimeOptions are the options whose variables the step server expands
// with the step's environment; BuildKit never expands from.
var runtimeOptions = map[string]bool{
	"from": true, "target": true, "dst": true, "destination": true,
	"source": true, "src": true, "id": true, "env": true,
}

// ExpandOptions returns the --mount value val with every option but from,
// target, source, id and env replaced by expand(key, value) where the value
// has variables, quotes or escapes to process, as BuildKit expands them
// when it dispatches the mount. An option for which expand reports later
// is left out of the value and returned as written ("key=value"), for
// the step server to expand and Apply during the build.
func ExpandOptions(val string, expand func(key, value string) (x string, later bool, err error)) (string, []string, error) {
	if !strings.ContainsAny(val, "$'\"\\") {
		return val, nil, nil
	}
	fields, err := csvvalue.Fields(val, nil)
	if err != nil {
		return "", nil, fmt.Errorf("invalid mount: %v", err)
	}
	var kept, deferred []string
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || runtimeOptions[strings.ToLower(k)] || !strings.ContainsAny(v, "$'\"\\") {
			kept = append(kept, f)
			continue
		}
		x, later, err := expand(k, v)
		switch {
		case err != nil:
			return "", nil, err
		case later:
			deferred = append(deferred, f)
		default:
			kept = append(kept, k+"="+x)
		}
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(kept); err != nil {
		return "", nil, err
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n"), deferred, nil
}

// Apply sets the option field ("key=value", its value expanded) on m, as
// BuildKit's parser reads it for a mount of m's type.
func Apply(m *Mount, field string) error {
	parsed, err := Parse("type=" + m.Type + ",target=/x," + field)
	if err != nil {
		return fmt.Errorf("--mount option %s: %w", field, err)
	}
	k, _, _ := strings.Cut(field, "=")
	switch strings.ToLower(k) {
	case "mode":
		m.Mode = parsed.Mode
	case "uid":
		m.UID = parsed.UID
	case "gid":
		m.GID = parsed.GID
	case "size":
		m.Size = parsed.Size
	case "sharing":
		m.Sharing = parsed.Sharing
	case "required":
		m.Required = parsed.Required
	case "readonly", "ro", "readwrite", "rw":
		m.ReadOnly = parsed.ReadOnly
	default:
		return fmt.Errorf("--mount option %s cannot take a value known only during the build here", field)
	}
	return nil
}
