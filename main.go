// Command kaniko-ecr builds a Dockerfile with kaniko, in-process, and pushes
// the image to Amazon ECR. Settings come from PLUGIN_* variables.
package main

import (
	"fmt"
	"os"

	"github.com/kaniko-ecr/kaniko-ecr/plugin"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/builder"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/help"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps"
)

var version = "dev"

func main() {
	plugin.Harden() // first: before anything reads a secret
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "--help", "-h", "help":
			fmt.Print(help.Usage())
			return
		case "--version", "version":
			fmt.Println("kaniko-ecr", version)
			return
		case "step":
			// kaniko runs a rewritten Dockerfile instruction (RUN --mount,
			// heredocs) as this command: see plugin/steps.
			os.Exit(steps.Main(os.Args[2:]))
		}
	}
	ctx, stop := plugin.SignalContext()
	err := plugin.Run(ctx, plugin.DefaultDeps(builder.Kaniko{}, version))
	stop()
	os.Exit(plugin.ExitCode(err))
}
