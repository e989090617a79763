// Command benchtool holds the pieces of scripts/bench.sh that are easier in
// Go: generating the workloads, writing a docker config from the local ECR
// stand-in's token, the go-containerregistry push of the floor, gzip at
// kaniko's level, the split of the plugin's profiles, and the Markdown
// report.
package main

import (
	"fmt"
	"os"
)

const usage = `usage: benchtool COMMAND [flags]
  gen            write a workload's build context (Dockerfile and files)
  docker-config  get a token from the ECR API (AWS_* env) and write config.json
  push-layer     push a one-layer image made from a .tar.gz, as the floor
  put-empty      upload the 2-byte empty config into repositories, as their first provenance does
  gzip           gzip stdin to stdout at a level (Go's compress/gzip, as kaniko)
  profile        split a profile the plugin wrote (KANIKO_ECR_PROFILE) into parts
  report         turn results into the generated part of docs/BENCHMARKS.md`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"gen":           cmdGen,
		"docker-config": cmdDockerConfig,
		"push-layer":    cmdPushLayer,
		"put-empty":     cmdPutEmpty,
		"gzip":          cmdGzip,
		"profile":       cmdProfile,
		"report":        cmdReport,
	}
	f, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err := f(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "benchtool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
