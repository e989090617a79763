//go:build !linux

package plugin

import "errors"

// Harden does nothing outside Linux, where there is no prctl; kaniko builds
// only on Linux anyway.
func Harden() {
	hardenErr = errors.New("not on Linux: the process cannot be marked non-dumpable")
}
