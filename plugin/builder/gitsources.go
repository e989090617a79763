package builder

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/gitsource"
)

// gitPulls are the git sources the build checked out (the remote without
// credentials and the ref, as BuildKit's provenance names them) with
// their commits: one build per process, like pulls.
var gitPulls struct {
	mu     sync.Mutex
	commit map[string]string
}

// resolveGitSources resolves the ref of each git source of ADD to the
// commit the step server will check out, before kaniko runs, and adds
// that commit to the step's line in the Dockerfile kaniko reads: kaniko's
// cache key of the step is its line, so a branch that moved is a new key
// and never a stale layer. The history keeps the instruction as written.
func resolveGitSources(ctx context.Context, p *settings.Plan) (*dockerfile.Result, gitsource.Sources, error) {
	res := p.Frontend
	src := gitsource.Sources{Credentials: gitsource.Credentials{Secrets: p.BuildSecrets, SSHKey: p.SSHKey}}
	if res == nil {
		return nil, src, nil
	}
	for _, s := range res.Steps {
		if s.Kind != "git" || s.Git == nil {
			continue
		}
		if src.Resolved == nil {
			cp := *res
			cp.History = maps.Clone(res.History)
			res, src.Resolved = &cp, map[string]gitsource.Resolved{}
		}
		r, err := gitsource.Resolve(ctx, *s.Git, src.Credentials)
		if err != nil {
			return nil, src, fmt.Errorf("%s:%d: ADD: %w", s.File, s.Line, err)
		}
		src.Resolved[s.ID] = r
		for line, orig := range res.History {
			if strings.Contains(line, "/"+s.ID+".json\"]") {
				keyed := strings.TrimSuffix(line, "]") + `,"` + r.Commit + `"]`
				res.Dockerfile = bytes.Replace(res.Dockerfile, []byte(line), []byte(keyed), 1)
				delete(res.History, line)
				res.History[keyed] = orig
				break
			}
		}
		recordGit(s.Git.Remote, r)
	}
	return res, src, nil
}

func recordGit(remote string, r gitsource.Resolved) {
	uri := gitsource.Public(remote)
	switch r.Name {
	case "HEAD":
	case "":
		uri += "#" + r.Commit
	default:
		uri += "#" + r.Name
	}
	gitPulls.mu.Lock()
	defer gitPulls.mu.Unlock()
	if gitPulls.commit == nil {
		gitPulls.commit = map[string]string{}
	}
	gitPulls.commit[uri] = r.Commit
}

// GitSources returns the git sources the build resolved (remote#ref)
// with their commits.
func (Kaniko) GitSources() map[string]string {
	gitPulls.mu.Lock()
	defer gitPulls.mu.Unlock()
	return maps.Clone(gitPulls.commit)
}
