package localecr

import (
	"net/http"
	"time"
)

func (a *API) publicRepoJSON(r *Repository) map[string]any {
	return a.repoJSONIn(r, "arn:aws:ecr-public::", "/local/")
}

// serveECRPublic answers the ECR Public operations the plugin uses. ECR
// Public repositories live apart from the private ones. a.mu is held.
func (a *API) serveECRPublic(w http.ResponseWriter, op string, in ecrRequest, accessKey string) {
	switch op {
	case "GetAuthorizationToken":
		writeJSON(w, map[string]any{"authorizationData": a.authorizationData(accessKey)})
	case "DescribeRepositories":
		describeRepositories(w, a.publicRepos, in.RepositoryNames, a.publicRepoJSON)
	case "CreateRepository":
		if repositoryExists(w, a.publicRepos, in.RepositoryName) {
			return
		}
		r := &Repository{Name: in.RepositoryName, Mutability: "MUTABLE", CreatedAt: time.Now()}
		a.publicRepos[r.Name] = r
		writeJSON(w, map[string]any{"repository": a.publicRepoJSON(r)})
	case "SetRepositoryPolicy":
		r, ok := a.publicRepos[in.RepositoryName]
		if !ok {
			writeECRError(w, 400, "RepositoryNotFoundException", "The repository with name '"+in.RepositoryName+"' does not exist")
			return
		}
		r.RepositoryPolicy = in.PolicyText
		writeJSON(w, map[string]any{"registryId": AccountID, "repositoryName": r.Name, "policyText": in.PolicyText})
	default:
		writeECRError(w, 400, "UnknownOperationException", "local ECR Public does not implement "+op)
	}
}
