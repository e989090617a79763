// Package pulls records the registries a build pulls images from (FROM,
// COPY --from, RUN --mount from=): the build's credentials and network
// are narrowed to them. A reference that cannot be resolved before the
// build makes the set unknown: the build may pull from anywhere.
package pulls

import (
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Set is the registries a build pulls from, in the order first named.
type Set struct {
	Registries []string
	Unknown    bool
}

// Image records the registry of an image reference as the build will
// expand it (expanded; err when it does not expand): scratch and the
// stages (isStage, given the lower-cased name) pull nothing, and an empty
// or unparsable reference makes the set unknown.
func (s *Set) Image(expanded string, err error, isStage func(string) bool) {
	low := strings.ToLower(expanded)
	switch {
	case err != nil || expanded == "":
		s.Unknown = true
	case low == "scratch" || isStage(low):
	default:
		r, err := name.ParseReference(expanded)
		if err != nil {
			s.Unknown = true
			return
		}
		if h := r.Context().RegistryStr(); !slices.Contains(s.Registries, h) {
			s.Registries = append(s.Registries, h)
		}
	}
}

// IsImage says whether COPY --from=from names an image rather than a
// stage, by its index or by its name (isStage, given it lower-cased).
func IsImage(from string, isStage func(string) bool) bool {
	_, err := strconv.Atoi(from)
	return from != "" && err != nil && !isStage(strings.ToLower(from))
}
