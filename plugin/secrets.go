package plugin

import (
	"os"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// hardenErr is why Harden failed, nil when it did not.
var hardenErr error

// awsSecretVars are the AWS SDK's variables that hold credentials. The
// access key id is no secret on its own, but it names whose secret the
// others are.
var awsSecretVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}

// secretVars lists every variable that may hold a credential: each secret
// setting with its aliases, and the AWS SDK's own.
func secretVars() []string {
	var out []string
	for _, in := range settings.Infos() {
		if !in.Secret {
			continue
		}
		out = append(out, in.Env)
		if in.Aliases != "" {
			out = append(out, strings.Split(in.Aliases, ", ")...)
		}
	}
	return append(out, awsSecretVars...)
}

// scrubEnv removes every variable that holds a secret from the process
// environment once the settings and the AWS config have read them, so no
// child process (a credential helper, anything started with the inherited
// environment) is handed one. /proc/<pid>/environ keeps the values the
// process started with: Harden is what keeps that out of reach.
//
// extra names more variables to remove: those the build secrets were read
// from (PLUGIN_SECRETS_FROM_ENV, PLUGIN_SECRET's env=).
func scrubEnv(extra ...string) {
	for _, name := range append(secretVars(), extra...) {
		if _, ok := os.LookupEnv(name); ok {
			if err := os.Unsetenv(name); err != nil {
				logrus.Warnf("removing %s from the environment: %v", name, err)
			}
		}
	}
}
