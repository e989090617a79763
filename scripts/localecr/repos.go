package localecr

import (
	"fmt"
	"net/http"
)

func (a *API) repoJSON(r *Repository) map[string]any {
	m := a.repoJSONIn(r, "arn:aws:ecr:us-east-1:", "/")
	m["imageTagMutability"] = r.Mutability
	m["imageScanningConfiguration"] = map[string]bool{"scanOnPush": r.ScanOnPush}
	return m
}

// repoJSONIn is what private and public repositories share: arnPrefix
// names the service, uriPath what stands between host and name.
func (a *API) repoJSONIn(r *Repository, arnPrefix, uriPath string) map[string]any {
	return map[string]any{
		"repositoryArn":  arnPrefix + AccountID + ":repository/" + r.Name,
		"registryId":     AccountID,
		"repositoryName": r.Name,
		"repositoryUri":  a.registryHost() + uriPath + r.Name,
		"createdAt":      float64(r.CreatedAt.Unix()),
	}
}

// describeRepositories answers DescribeRepositories from repos, private
// or public, each repository shown by toJSON.
func describeRepositories(w http.ResponseWriter, repos map[string]*Repository, names []string, toJSON func(*Repository) map[string]any) {
	var out []map[string]any
	for _, n := range names {
		r, ok := repos[n]
		if !ok {
			writeECRError(w, 400, "RepositoryNotFoundException",
				fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", n, AccountID))
			return
		}
		out = append(out, toJSON(r))
	}
	writeJSON(w, map[string]any{"repositories": out})
}

// repositoryExists answers CreateRepository with ECR's error, and reports
// true, when name is already in repos.
func repositoryExists(w http.ResponseWriter, repos map[string]*Repository, name string) bool {
	if _, ok := repos[name]; !ok {
		return false
	}
	writeECRError(w, 400, "RepositoryAlreadyExistsException",
		fmt.Sprintf("The repository with name '%s' already exists in the registry with id '%s'", name, AccountID))
	return true
}
