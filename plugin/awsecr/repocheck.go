package awsecr

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// checkRepository makes sure the repository exists (creating it when
// asked), applies the policies, and checks the requested tags against the
// repository's tag immutability.
func (s *Session) checkRepository(ctx context.Context, tokReady <-chan struct{}, n *notes) error {
	info, err := s.ensureRepository(ctx, n)
	if err != nil || info.Mutability == "" {
		return err
	}
	return s.checkTags(ctx, info, tokReady, n)
}

// ensureRepository returns the repository's settings; Mutability is empty
// when they could not be read.
func (s *Session) ensureRepository(ctx context.Context, n *notes) (RepoInfo, error) {
	p, svc, repo := s.plan, s.clients.Registry, s.plan.Repo
	where := p.RegistryPath()
	info, err := svc.DescribeRepository(ctx, repo)
	switch {
	case err == nil:
		if want := p.AWS.TagImmutability; want != "" && !strings.HasPrefix(info.Mutability, want) {
			n.warn("PLUGIN_TAG_IMMUTABILITY=%s applies only to a repository that PLUGIN_CREATE_REPOSITORY creates; %s is %s", want, repo, info.Mutability)
		}
	case errors.Is(err, ErrRepoNotFound) && !p.AWS.CreateRepository:
		return RepoInfo{}, fmt.Errorf("repository %s does not exist in %s: create it, or set PLUGIN_CREATE_REPOSITORY=true", repo, where)
	case errors.Is(err, ErrRepoNotFound), isAccessDenied(err) && p.AWS.CreateRepository:
		created, cerr := svc.CreateRepository(ctx, RepoSpec{Name: repo, Mutability: p.AWS.TagImmutability, ScanOnPush: p.AWS.ScanOnPush})
		switch {
		case cerr != nil:
			return RepoInfo{}, explain(p, callRepository, "creating repository "+repo+" in "+where, cerr)
		case created:
			n.info("created repository %s in %s (%s)", repo, where, createSummary(p.AWS))
			info = RepoInfo{Name: repo, Mutability: p.AWS.TagImmutability}
			if info.Mutability == "" {
				info.Mutability = "MUTABLE"
			}
		case errors.Is(err, ErrRepoNotFound):
			// Created by someone else meanwhile: read what it is.
			if info, err = svc.DescribeRepository(ctx, repo); err != nil {
				return RepoInfo{}, explain(p, callRepository, "describing repository "+repo, err)
			}
		default:
			n.warn("repository %s exists, but its settings cannot be read (%s): skipping the tag immutability check", repo, apiCode(err))
		}
	case isAccessDenied(err):
		n.warn("cannot check repository %s (%s: the identity lacks ecr:DescribeRepositories): skipping the repository and tag immutability checks; the push will tell", repo, apiCode(err))
	default:
		return RepoInfo{}, explain(p, callRepository, "describing repository "+repo+" in "+where, err)
	}

	if pol := p.AWS.LifecyclePolicy; pol != nil {
		if err := svc.PutLifecyclePolicy(ctx, repo, string(pol)); err != nil {
			return RepoInfo{}, explain(p, callRepository, "applying PLUGIN_LIFECYCLE_POLICY to repository "+repo, err)
		}
		n.info("applied PLUGIN_LIFECYCLE_POLICY to repository %s", repo)
	}
	if pol := p.AWS.RepositoryPolicy; pol != nil {
		if err := svc.SetRepositoryPolicy(ctx, repo, string(pol)); err != nil {
			return RepoInfo{}, explain(p, callRepository, "applying PLUGIN_REPOSITORY_POLICY to repository "+repo, err)
		}
		n.info("applied PLUGIN_REPOSITORY_POLICY to repository %s", repo)
	}
	return info, nil
}

// createSummary describes a repository that PLUGIN_CREATE_REPOSITORY makes,
// for the log.
func createSummary(a settings.AWSPlan) string {
	out := a.TagImmutability
	if out == "" {
		out = "MUTABLE"
	}
	if a.ScanOnPush {
		out += ", scan on push"
	}
	return out
}
