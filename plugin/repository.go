package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/smithy-go"
)

// ecrRepoAPI is the part of the ECR client that the token, repository
// management and the checks use; *ecr.Client satisfies it unchanged.
type ecrRepoAPI interface {
	ecrAPI
	DescribeRepositories(ctx context.Context, in *ecr.DescribeRepositoriesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	CreateRepository(ctx context.Context, in *ecr.CreateRepositoryInput, optFns ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	PutLifecyclePolicy(ctx context.Context, in *ecr.PutLifecyclePolicyInput, optFns ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error)
	SetRepositoryPolicy(ctx context.Context, in *ecr.SetRepositoryPolicyInput, optFns ...func(*ecr.Options)) (*ecr.SetRepositoryPolicyOutput, error)
	DescribeImages(ctx context.Context, in *ecr.DescribeImagesInput, optFns ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error)
}

// ecrPublicAPI is the part of the ECR Public client the plugin uses;
// *ecrpublic.Client satisfies it unchanged.
type ecrPublicAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecrpublic.GetAuthorizationTokenInput, optFns ...func(*ecrpublic.Options)) (*ecrpublic.GetAuthorizationTokenOutput, error)
	DescribeRepositories(ctx context.Context, in *ecrpublic.DescribeRepositoriesInput, optFns ...func(*ecrpublic.Options)) (*ecrpublic.DescribeRepositoriesOutput, error)
	CreateRepository(ctx context.Context, in *ecrpublic.CreateRepositoryInput, optFns ...func(*ecrpublic.Options)) (*ecrpublic.CreateRepositoryOutput, error)
	SetRepositoryPolicy(ctx context.Context, in *ecrpublic.SetRepositoryPolicyInput, optFns ...func(*ecrpublic.Options)) (*ecrpublic.SetRepositoryPolicyOutput, error)
}

var (
	_ ecrRepoAPI   = (*ecr.Client)(nil)
	_ ecrPublicAPI = (*ecrpublic.Client)(nil)
)

// repoInfo is what the checks need to know about a repository.
type repoInfo struct {
	Name       string
	Mutability string   // MUTABLE, IMMUTABLE, *_WITH_EXCLUSION; empty: unknown
	Exclusions []string // wildcard filters of the *_WITH_EXCLUSION settings
}

// repoSpec is a repository to create.
type repoSpec struct {
	Name       string
	Mutability string // empty: MUTABLE
	ScanOnPush bool
}

var errRepoNotFound = errors.New("repository not found")

// registryService is ECR or ECR Public, behind the few operations a run
// needs. Errors are the SDK's, except a missing repository (errRepoNotFound).
type registryService interface {
	token(ctx context.Context) (registryToken, error)
	describeRepository(ctx context.Context, name string) (repoInfo, error)
	// createRepository reports false when the repository already exists.
	createRepository(ctx context.Context, spec repoSpec) (bool, error)
	putLifecyclePolicy(ctx context.Context, repo, text string) error
	setRepositoryPolicy(ctx context.Context, repo, text string) error
	// tagDigest returns the digest a tag holds, "" when it does not exist.
	tagDigest(ctx context.Context, repo, tag string) (string, error)
}

// apiCode is the AWS error code of err, "" when it is no API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isAccessDenied(err error) bool {
	switch apiCode(err) {
	case "AccessDeniedException", "AccessDenied":
		return true
	}
	return false
}

// privateECR is registryService for a private ECR registry.
type privateECR struct{ api ecrRepoAPI }

func (e privateECR) token(ctx context.Context) (registryToken, error) {
	return getRegistryToken(ctx, e.api)
}

func (e privateECR) describeRepository(ctx context.Context, name string) (repoInfo, error) {
	out, err := e.api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	var nf *ecrtypes.RepositoryNotFoundException
	switch {
	case errors.As(err, &nf):
		return repoInfo{}, errRepoNotFound
	case err != nil:
		return repoInfo{}, err
	case len(out.Repositories) == 0:
		return repoInfo{}, errRepoNotFound
	}
	r := out.Repositories[0]
	info := repoInfo{Name: name, Mutability: string(r.ImageTagMutability)}
	for _, f := range r.ImageTagMutabilityExclusionFilters {
		if f.Filter != nil && f.FilterType == ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard {
			info.Exclusions = append(info.Exclusions, *f.Filter)
		}
	}
	return info, nil
}

func (e privateECR) createRepository(ctx context.Context, spec repoSpec) (bool, error) {
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(spec.Name)}
	if spec.Mutability != "" {
		in.ImageTagMutability = ecrtypes.ImageTagMutability(spec.Mutability)
	}
	if spec.ScanOnPush {
		in.ImageScanningConfiguration = &ecrtypes.ImageScanningConfiguration{ScanOnPush: true}
	}
	_, err := e.api.CreateRepository(ctx, in)
	var exists *ecrtypes.RepositoryAlreadyExistsException
	if errors.As(err, &exists) {
		return false, nil
	}
	return err == nil, err
}

func (e privateECR) putLifecyclePolicy(ctx context.Context, repo, text string) error {
	_, err := e.api.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(repo), LifecyclePolicyText: aws.String(text)})
	return err
}

func (e privateECR) setRepositoryPolicy(ctx context.Context, repo, text string) error {
	_, err := e.api.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(repo), PolicyText: aws.String(text)})
	return err
}

func (e privateECR) tagDigest(ctx context.Context, repo, tag string) (string, error) {
	// One tag per call: DescribeImages fails as a whole when any of the
	// ids it is given does not exist.
	out, err := e.api.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repo),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	var nf *ecrtypes.ImageNotFoundException
	switch {
	case errors.As(err, &nf):
		return "", nil
	case err != nil:
		return "", err
	}
	for _, d := range out.ImageDetails {
		if d.ImageDigest != nil {
			return *d.ImageDigest, nil
		}
	}
	return "", nil
}

// publicECR is registryService for an ECR Public registry.
type publicECR struct{ api ecrPublicAPI }

func (e publicECR) token(ctx context.Context) (registryToken, error) {
	out, err := e.api.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		return registryToken{}, err
	}
	if out.AuthorizationData == nil || out.AuthorizationData.AuthorizationToken == nil {
		return registryToken{}, errNoToken
	}
	return decodeToken(*out.AuthorizationData.AuthorizationToken, nil, out.AuthorizationData.ExpiresAt)
}

func (e publicECR) describeRepository(ctx context.Context, name string) (repoInfo, error) {
	out, err := e.api.DescribeRepositories(ctx, &ecrpublic.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	switch {
	case apiCode(err) == "RepositoryNotFoundException":
		return repoInfo{}, errRepoNotFound
	case err != nil:
		return repoInfo{}, err
	case len(out.Repositories) == 0:
		return repoInfo{}, errRepoNotFound
	}
	// Tags in ECR Public are always mutable.
	return repoInfo{Name: name, Mutability: string(ecrtypes.ImageTagMutabilityMutable)}, nil
}

func (e publicECR) createRepository(ctx context.Context, spec repoSpec) (bool, error) {
	_, err := e.api.CreateRepository(ctx, &ecrpublic.CreateRepositoryInput{RepositoryName: aws.String(spec.Name)})
	if apiCode(err) == "RepositoryAlreadyExistsException" {
		return false, nil
	}
	return err == nil, err
}

func (e publicECR) putLifecyclePolicy(context.Context, string, string) error {
	return errors.New("ECR Public has no lifecycle policies")
}

func (e publicECR) setRepositoryPolicy(ctx context.Context, repo, text string) error {
	_, err := e.api.SetRepositoryPolicy(ctx, &ecrpublic.SetRepositoryPolicyInput{RepositoryName: aws.String(repo), PolicyText: aws.String(text)})
	return err
}

func (e publicECR) tagDigest(context.Context, string, string) (string, error) {
	// Never asked: ECR Public tags are mutable.
	return "", nil
}

// tagImmutable reports whether ECR refuses to move tag in the repository.
// With the *_WITH_EXCLUSION settings, tags matching a filter get the
// opposite of the repository's setting.
func tagImmutable(r repoInfo, tag string) bool {
	excluded := false
	for _, f := range r.Exclusions {
		if ok, _ := path.Match(wildcardPattern(f), tag); ok {
			excluded = true
			break
		}
	}
	switch ecrtypes.ImageTagMutability(r.Mutability) {
	case ecrtypes.ImageTagMutabilityImmutable:
		return true
	case ecrtypes.ImageTagMutabilityImmutableWithExclusion:
		return !excluded
	case ecrtypes.ImageTagMutabilityMutableWithExclusion:
		return excluded
	}
	return false
}

// wildcardPattern turns an ECR wildcard filter ("release-*") into a
// path.Match pattern: only * is special in ECR's filters.
func wildcardPattern(f string) string {
	out := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		switch c := f[i]; c {
		case '?', '[', ']', '\\':
			out = append(out, '\\', c)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// cacheLifecyclePolicy expires cache images once kaniko would no longer use
// them (PLUGIN_CACHE_TTL), in whole days, at least one.
func cacheLifecyclePolicy(ttl time.Duration) (string, error) {
	days := int((ttl + 24*time.Hour - 1) / (24 * time.Hour))
	if days < 1 {
		days = 1
	}
	type selection struct {
		TagStatus   string `json:"tagStatus"`
		CountType   string `json:"countType"`
		CountUnit   string `json:"countUnit"`
		CountNumber int    `json:"countNumber"`
	}
	type rule struct {
		RulePriority int               `json:"rulePriority"`
		Description  string            `json:"description"`
		Selection    selection         `json:"selection"`
		Action       map[string]string `json:"action"`
	}
	b, err := json.Marshal(map[string][]rule{"rules": {{
		RulePriority: 1,
		Description:  "kaniko-ecr: expire cached layers after PLUGIN_CACHE_TTL",
		Selection:    selection{TagStatus: "any", CountType: "sinceImagePushed", CountUnit: "days", CountNumber: days},
		Action:       map[string]string{"type": "expire"},
	}}})
	return string(b), err
}
