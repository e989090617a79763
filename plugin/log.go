package plugin

import (
	"io"
	"strings"
	"sync"

	"github.com/sirupsen/logrus"
)

// redactHook masks known secret values in every log entry, kaniko's
// included, as a second line of defence: the plugin never logs a secret on
// purpose.
type redactHook struct {
	mu      sync.RWMutex
	secrets []string
}

func (h *redactHook) Levels() []logrus.Level { return logrus.AllLevels }

func (h *redactHook) add(secrets ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range secrets {
		// Very short values would mask ordinary words.
		if len(s) >= 4 {
			h.secrets = append(h.secrets, s)
		}
	}
}

func (h *redactHook) redact(s string) string {
	for _, sec := range h.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

func (h *redactHook) Fire(e *logrus.Entry) error {
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

// configureLogging sets level and format on the standard logger, which
// kaniko logs through too, and installs the redaction hook.
func configureLogging(out io.Writer, level logrus.Level, format string, hook *redactHook) {
	logrus.SetOutput(out)
	logrus.SetLevel(level)
	if format == "json" {
		logrus.SetFormatter(&logrus.JSONFormatter{})
	} else {
		logrus.SetFormatter(&logrus.TextFormatter{DisableColors: true, FullTimestamp: true})
	}
	logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})
	logrus.AddHook(hook)
}
