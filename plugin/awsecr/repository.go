package awsecr

import (
	"context"
	"errors"
	"path"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"github.com/aws/smithy-go"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr/ecrtoken"
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

// RepoInfo is what the checks need to know about a repository.
type RepoInfo struct {
	Name       string
	Mutability string   // MUTABLE, IMMUTABLE, *_WITH_EXCLUSION; empty: unknown
	Exclusions []string // wildcard filters of the *_WITH_EXCLUSION settings
}

// RepoSpec is a repository to create.
type RepoSpec struct {
	Name       string
	Mutability string // empty: MUTABLE
	ScanOnPush bool
}

var ErrRepoNotFound = errors.New("repository not found")

// Registry is ECR or ECR Public, behind the few operations a run
// needs. Errors are the SDK's, except a missing repository (ErrRepoNotFound).
type Registry interface {
	Token(ctx context.Context) (Token, error)
	DescribeRepository(ctx context.Context, name string) (RepoInfo, error)
	// CreateRepository reports false when the repository already exists.
	CreateRepository(ctx context.Context, spec RepoSpec) (bool, error)
	PutLifecyclePolicy(ctx context.Context, repo, text string) error
	SetRepositoryPolicy(ctx context.Context, repo, text string) error
	// TagDigest returns the digest a tag holds, "" when it does not exist.
	TagDigest(ctx context.Context, repo, tag string) (string, error)
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

// privateECR is Registry for a private ECR registry.
type privateECR struct{ api ecrRepoAPI }

func (e privateECR) Token(ctx context.Context) (Token, error) {
	return ecrtoken.Get(ctx, e.api)
}

func (e privateECR) DescribeRepository(ctx context.Context, name string) (RepoInfo, error) {
	out, err := e.api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	var nf *ecrtypes.RepositoryNotFoundException
	switch {
	case errors.As(err, &nf):
		return RepoInfo{}, ErrRepoNotFound
	case err != nil:
		return RepoInfo{}, err
	case len(out.Repositories) == 0:
		return RepoInfo{}, ErrRepoNotFound
	}
	r := out.Repositories[0]
	info := RepoInfo{Name: name, Mutability: string(r.ImageTagMutability)}
	for _, f := range r.ImageTagMutabilityExclusionFilters {
		if f.Filter != nil && f.FilterType == ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard {
			info.Exclusions = append(info.Exclusions, *f.Filter)
		}
	}
	return info, nil
}

func (e privateECR) CreateRepository(ctx context.Context, spec RepoSpec) (bool, error) {
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

func (e privateECR) PutLifecyclePolicy(ctx context.Context, repo, text string) error {
	_, err := e.api.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String(repo), LifecyclePolicyText: aws.String(text)})
	return err
}

func (e privateECR) SetRepositoryPolicy(ctx context.Context, repo, text string) error {
	_, err := e.api.SetRepositoryPolicy(ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: aws.String(repo), PolicyText: aws.String(text)})
	return err
}

func (e privateECR) TagDigest(ctx context.Context, repo, tag string) (string, error) {
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

// publicECR is Registry for an ECR Public registry.
type publicECR struct{ api ecrPublicAPI }

func (e publicECR) Token(ctx context.Context) (Token, error) {
	out, err := e.api.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		return Token{}, err
	}
	if out.AuthorizationData == nil || out.AuthorizationData.AuthorizationToken == nil {
		return Token{}, ecrtoken.ErrNone
	}
	return ecrtoken.Decode(*out.AuthorizationData.AuthorizationToken, nil, out.AuthorizationData.ExpiresAt)
}

func (e publicECR) DescribeRepository(ctx context.Context, name string) (RepoInfo, error) {
	out, err := e.api.DescribeRepositories(ctx, &ecrpublic.DescribeRepositoriesInput{RepositoryNames: []string{name}})
	switch {
	case apiCode(err) == "RepositoryNotFoundException":
		return RepoInfo{}, ErrRepoNotFound
	case err != nil:
		return RepoInfo{}, err
	case len(out.Repositories) == 0:
		return RepoInfo{}, ErrRepoNotFound
	}
	// Tags in ECR Public are always mutable.
	return RepoInfo{Name: name, Mutability: string(ecrtypes.ImageTagMutabilityMutable)}, nil
}

func (e publicECR) CreateRepository(ctx context.Context, spec RepoSpec) (bool, error) {
	_, err := e.api.CreateRepository(ctx, &ecrpublic.CreateRepositoryInput{RepositoryName: aws.String(spec.Name)})
	if apiCode(err) == "RepositoryAlreadyExistsException" {
		return false, nil
	}
	return err == nil, err
}

func (e publicECR) PutLifecyclePolicy(context.Context, string, string) error {
	return errors.New("ECR Public has no lifecycle policies")
}

func (e publicECR) SetRepositoryPolicy(ctx context.Context, repo, text string) error {
	_, err := e.api.SetRepositoryPolicy(ctx, &ecrpublic.SetRepositoryPolicyInput{RepositoryName: aws.String(repo), PolicyText: aws.String(text)})
	return err
}

func (e publicECR) TagDigest(context.Context, string, string) (string, error) {
	// Never asked: ECR Public tags are mutable.
	return "", nil
}

// tagImmutable reports whether ECR refuses to move tag in the repository.
// With the *_WITH_EXCLUSION settings, tags matching a filter get the
// opposite of the repository's setting.
func tagImmutable(r RepoInfo, tag string) bool {
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
