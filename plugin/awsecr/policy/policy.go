// Package policy writes the session policy that narrows the build's
// registry token: a RUN step that steals it can pull, and push only to the
// cache repository, never to the image's repository.
package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Build is the session policy of the build's token: pulls from every
// repository of the registry, pushes only to the cache repository (when the
// cache is on), and, for each registry mirror on this registry (an ECR
// pull-through cache, named by its repository prefix, "" for none), what a
// first pull through it needs: importing the upstream image into a new
// repository under the prefix. Nothing else.
func Build(region, account, cacheRepo string, pullThrough []string) (string, error) {
	if account == "" {
		account = "*"
	}
	repoARN := func(name string) string {
		return fmt.Sprintf("arn:%s:ecr:%s:%s:repository/%s", partition(region), region, account, name)
	}
	type statement struct {
		Sid      string   `json:"Sid"`
		Effect   string   `json:"Effect"`
		Action   []string `json:"Action"`
		Resource string   `json:"Resource"`
	}
	st := []statement{
		{"Token", "Allow", []string{"ecr:GetAuthorizationToken"}, "*"},
		{"Pull", "Allow", []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, repoARN("*")},
	}
	if cacheRepo != "" {
		st = append(st, statement{"PushCache", "Allow", []string{"ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"}, repoARN(cacheRepo)})
	}
	for i, prefix := range pullThrough {
		res := "*"
		if prefix != "" {
			res = prefix + "/*"
		}
		st = append(st, statement{fmt.Sprintf("PullThroughCache%d", i), "Allow", []string{"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}, repoARN(res)})
	}
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": st})
	return string(b), err
}

// partition is the ARN partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// PullThrough are the repository prefixes of the mirrors on the registry
// host (an ECR pull-through cache; "" for a mirror on the bare host),
// sorted, each once.
func PullThrough(host string, mirrors []string) []string {
	var out []string
	for _, m := range mirrors {
		h, prefix, _ := strings.Cut(m, "/")
		if strings.EqualFold(h, host) {
			out = append(out, strings.Trim(prefix, "/"))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
