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
// when it dispatches the mount.
func ExpandOptions(val string, expand func(key, value string) (string, error)) (string, error) {
	if !strings.ContainsAny(val, "$'\"\\") {
		return val, nil
	}
	fields, err := csvvalue.Fields(val, nil)
	if err != nil {
		return "", fmt.Errorf("invalid mount: %v", err)
	}
	changed := false
	for i, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || runtimeOptions[strings.ToLower(k)] || !strings.ContainsAny(v, "$'\"\\") {
			continue
		}
		x, err := expand(k, v)
		if err != nil {
			return "", err
		}
		fields[i], changed = k+"="+x, true
	}
	if !changed {
		return val, nil
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(fields); err != nil {
		return "", err
	}
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n"), nil
}
