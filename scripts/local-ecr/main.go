// Command local-ecr runs the local ECR stand-in (registry and API) that the
// demo and manual tests use, writes the environment a plugin run needs to
// -env, and serves until SIGINT or SIGTERM. "local-ecr verify REF..." reads
// pushed images back and prints their digest.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "verify" {
		if err := verify(os.Args[2:]); err != nil {
			log.Fatal(err)
		}
		return
	}
	dir := flag.String("dir", "", "directory for registry data, certificates and logs (required)")
	envFile := flag.String("env", "", "write KEY=value lines for a plugin run here (required)")
	base := flag.String("base", "base/busybox", "push a busybox base image to this repository (empty: none)")
	baseOCI := flag.String("base-oci", "", "also push it with OCI media types to this repository (empty: none)")
	repos := flag.String("repos", "", "comma-separated repositories to create")
	flag.Parse()
	if *dir == "" || *envFile == "" {
		flag.Usage()
		os.Exit(2)
	}
	s, err := localecr.Start(*dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Stop()
	env := s.Env()
	env["LOCAL_ECR_CA_BUNDLE"] = s.CABundle
	env["LOCAL_ECR_CA"] = s.Registry.CAFile
	if *base != "" {
		ref, err := s.PushBase(*base)
		if err != nil {
			s.Stop()
			log.Fatal(err)
		}
		env["LOCAL_ECR_BASE_IMAGE"] = ref
	}
	if *baseOCI != "" {
		ref, err := s.PushBaseOCI(*baseOCI)
		if err != nil {
			s.Stop()
			log.Fatal(err)
		}
		env["LOCAL_ECR_BASE_IMAGE_OCI"] = ref
	}
	for _, r := range splitComma(*repos) {
		s.API.AddRepository(localecr.Repository{Name: r})
	}
	if err := os.WriteFile(*envFile, []byte(localecr.EnvLines(env)), 0o600); err != nil {
		s.Stop()
		log.Fatal(err)
	}
	log.Printf("local ECR: registry https://%s, API %s", s.Registry.Addr, s.Endpoint)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	<-ch
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
