package awsecr

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// cacheRepoName is the repository kaniko pushes its layer cache to:
// PLUGIN_CACHE_REPO, else <repo>/cache (kaniko's default).
func cacheRepoName(p *settings.Plan) string {
	if p.CacheRepo == "" {
		return p.Repo + "/cache"
	}
	return strings.TrimPrefix(p.CacheRepo, p.RegistryPath()+"/")
}

// checkCache makes sure the cache repository exists, creating it when
// PLUGIN_CREATE_REPOSITORY is set. It never fails the run: when the
// repository is missing the build runs without cache; when it cannot be
// checked, kaniko uses it as is (a failed cache push only warns).
func (s *Session) checkCache(ctx context.Context, n *notes) {
	p, svc := s.plan, s.clients.Registry
	if !p.Cache && p.CacheMountRepo == "" {
		return
	}
	repo := cacheRepoName(p)
	if repo == p.Repo {
		return // checked as the repository itself
	}
	_, err := svc.DescribeRepository(ctx, repo)
	switch {
	case err == nil:
		return
	case !errors.Is(err, ErrRepoNotFound):
		n.warn("cannot check the cache repository %s (%v): using it as it is", repo, err)
		return
	case !p.AWS.CreateRepository:
		n.warn("cache repository %s does not exist in %s: building without the layer cache (create it, or set PLUGIN_CREATE_REPOSITORY=true)", repo, p.RegistryPath())
		s.noCache = true
		return
	}
	if _, err := svc.CreateRepository(ctx, RepoSpec{Name: repo, Mutability: "MUTABLE"}); err != nil {
		n.warn("creating the cache repository %s: %v: building without the layer cache", repo, err)
		s.noCache = true
		return
	}
	if p.IsPublic() {
		n.info("created the cache repository %s in %s", repo, p.RegistryPath())
		return
	}
	pol, err := cacheLifecyclePolicy(p.CacheTTL)
	if err == nil {
		err = svc.PutLifecyclePolicy(ctx, repo, pol)
	}
	if err != nil {
		n.warn("created the cache repository %s, but not its lifecycle rule: %v; old cache images stay until removed", repo, err)
		return
	}
	n.info("created the cache repository %s in %s, with a lifecycle rule that expires images %s after their push (PLUGIN_CACHE_TTL)", repo, p.RegistryPath(), p.CacheTTL)
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
