// Package redact keeps secrets out of output: the Secret type, which never
// prints its value, and a logrus hook that masks every known secret value in
// every log entry, kaniko's included. It imports nothing of ours, so every
// stage of a run can use it.
package redact

import (
	"strconv"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

// Secret holds a credential. It prints as [redacted] in every format, so a
// value that holds one can never leak it through a log line or a plan.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString implements fmt.GoStringer for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText keeps secrets out of JSON and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret itself, for the one call that needs it.
func (s Secret) Reveal() string { return string(s) }

// Hook masks known secret values in every log entry. It is a second line of
// defence: no stage logs a secret on purpose.
type Hook struct {
	mu      sync.RWMutex
	secrets []string
}

// Levels implements logrus.Hook: every level.
func (h *Hook) Levels() []logrus.Level { return logrus.AllLevels }

// Add registers values to mask from now on.
func (h *Hook) Add(secrets ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range secrets {
		// Very short values would mask ordinary words.
		if len(s) >= 4 {
			h.secrets = append(h.secrets, s)
		}
	}
}

// Redact returns s with every registered secret masked.
func (h *Hook) Redact(s string) string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.redact(s)
}

func (h *Hook) redact(s string) string {
	for _, sec := range h.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

// Fire implements logrus.Hook.
func (h *Hook) Fire(e *logrus.Entry) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if len(h.secrets) == 0 {
		return nil
	}
	e.Message = h.redact(e.Message)
	for k, v := range e.Data {
		switch x := v.(type) {
		case string:
			e.Data[k] = h.redact(x)
		case error:
			e.Data[k] = h.redact(x.Error())
		}
	}
	return nil
}
