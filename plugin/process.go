package plugin

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// ExitCode maps an error from Run to the process exit status.
func ExitCode(err error) int {
	var ve *settings.ValidationError
	var ue *UnsafeError
	var ie *InterruptedError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ve):
		return 2
	case errors.As(err, &ue):
		return 3
	case errors.As(err, &ie):
		return ie.Code
	default:
		return 1
	}
}

// OSEnv is the process environment, as validation sees it.
func OSEnv() settings.Env {
	wd, _ := os.Getwd()
	e := settings.Env{Lookup: os.LookupEnv, Dir: wd}
	if filepath.Dir(executable()) == kanikoDir {
		e.MountPoint = mountPointOf
	}
	return e
}

// configureLogging sets level and format on the standard logger, which
// kaniko logs through too, and installs the redaction hook.
func configureLogging(out io.Writer, level logrus.Level, format string, hook *redact.Hook) {
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
