package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kaniko-ecr/kaniko-ecr/docker"
	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// cmdDockerConfig writes dir/config.json with the credentials the ECR API
// hands out, for each registry host given: what the plugin writes for
// itself, given to kaniko's executor.
func cmdDockerConfig(args []string) error {
	fs := flag.NewFlagSet("docker-config", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for config.json")
	hosts := fs.String("registry", "", "comma-separated registry hosts to write entries for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *hosts == "" {
		return errors.New("-dir and -registry are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	auth, err := localecr.ECRAuth(ctx)
	if err != nil {
		return err
	}
	ac, err := auth.Authorization()
	if err != nil {
		return err
	}
	user, pass := ac.Username, ac.Password
	c, err := docker.Load(*dir)
	if err != nil {
		return err
	}
	for _, h := range strings.Split(*hosts, ",") {
		c.SetAuth(h, user, pass)
	}
	return c.Write(*dir)
}

// cmdPushLayer pushes a one-layer image whose layer is an existing .tar.gz,
// so nothing is compressed: the registry half of the floor. It prints the
// seconds the push took; reading the file to digest it comes before.
func cmdPushLayer(args []string) error {
	fs := flag.NewFlagSet("push-layer", flag.ContinueOnError)
	path := fs.String("layer", "", "gzip-compressed tar")
	ref := fs.String("ref", "", "registry/repository:tag to push to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tag, err := name.NewTag(*ref, name.WeakValidation)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromFile(*path)
	if err != nil {
		return fmt.Errorf("reading layer %s: %w", *path, err)
	}
	diffID, err := layer.DiffID()
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: "amd64", OS: "linux",
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{diffID}},
	})
	if err != nil {
		return err
	}
	if _, err := img.Digest(); err != nil { // everything but the push happens here
		return err
	}
	start := time.Now()
	if err := remote.Write(tag, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return fmt.Errorf("pushing %s: %w", tag, err)
	}
	fmt.Printf("%.3f\n", time.Since(start).Seconds())
	return nil
}

// cmdPutEmpty uploads the OCI empty descriptor's blob ("{}", the config
// of an artifact with none) into each repository given, as a repository
// holds it after its first provenance.
func cmdPutEmpty(args []string) error {
	fs := flag.NewFlagSet("put-empty", flag.ContinueOnError)
	reg := fs.String("registry", "", "registry host")
	repos := fs.String("repos", "", "comma-separated repositories")
	if err := fs.Parse(args); err != nil {
		return err
	}
	blob := static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json")
	for _, r := range strings.Split(*repos, ",") {
		repo, err := name.NewRepository(*reg+"/"+r, name.WeakValidation)
		if err != nil {
			return err
		}
		if err := remote.WriteLayer(repo, blob, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return fmt.Errorf("uploading the empty config to %s: %w", repo, err)
		}
	}
	return nil
}

// cmdGzip compresses stdin with Go's compress/gzip, which go-containerregistry
// (so kaniko) uses for layers.
func cmdGzip(args []string) error {
	fs := flag.NewFlagSet("gzip", flag.ContinueOnError)
	level := fs.Int("level", gzip.BestSpeed, "compression level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	zw, err := gzip.NewWriterLevel(out, *level)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, bufio.NewReaderSize(os.Stdin, 64<<10)); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Flush()
}
