// Command publish-index pushes a multi-platform index over per-platform
// images already in an ECR repository (scripts/image.sh and .drone.yml use
// it to publish the plugin's image). Credentials: the AWS SDK's default
// chain; AWS_ENDPOINT_URL_ECR and SSL_CERT_FILE work as usual.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/publish"
)

func main() {
	registry := flag.String("registry", os.Getenv("PLUGIN_REGISTRY"), "registry host[:port]")
	region := flag.String("region", "", "AWS region (default: from an ECR registry host, else the SDK's)")
	repo := flag.String("repo", "", "repository (required)")
	tags := flag.String("tags", "", "comma-separated tags to push the index under (required)")
	sources := flag.String("sources", "", "comma-separated tags of the per-platform images (required)")
	flag.Parse()
	if *registry == "" || *repo == "" || *tags == "" || *sources == "" {
		flag.Usage()
		os.Exit(2)
	}
	if *region == "" {
		*region = publish.RegionOf(*registry)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, *registry+"/"+*repo, *region, publish.SplitList(*tags), publish.SplitList(*sources))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "publish-index:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, repo, region string, tags, sources []string) error {
	r, err := name.NewRepository(repo)
	if err != nil {
		return fmt.Errorf("parsing repository %q: %w", repo, err)
	}
	auth, err := publish.ECRAuth(ctx, region)
	if err != nil {
		return err
	}
	dig, err := publish.Push(ctx, publish.Spec{Repo: r, Sources: sources, Tags: tags}, remote.WithAuth(auth))
	if err != nil {
		return err
	}
	for _, t := range tags {
		fmt.Printf("%s:%s@%s\n", r, t, dig)
	}
	return nil
}
