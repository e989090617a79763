package localecr

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

func (a *API) publicRepoJSON(r *Repository) map[string]any {
	return map[string]any{
		"repositoryArn":  "arn:aws:ecr-public::" + AccountID + ":repository/" + r.Name,
		"registryId":     AccountID,
		"repositoryName": r.Name,
		"repositoryUri":  a.registryHost() + "/local/" + r.Name,
		"createdAt":      float64(r.CreatedAt.Unix()),
	}
}

// serveECRPublic answers the ECR Public operations the plugin uses. ECR
// Public repositories live apart from the private ones.
func (a *API) serveECRPublic(w http.ResponseWriter, op string, body []byte) {
	var in ecrRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeECRError(w, 400, "SerializationException", err.Error())
			return
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch op {
	case "GetAuthorizationToken":
		writeJSON(w, map[string]any{"authorizationData": a.authorizationData()})
	case "DescribeRepositories":
		var out []map[string]any
		for _, n := range in.RepositoryNames {
			r, ok := a.publicRepos[n]
			if !ok {
				writeECRError(w, 400, "RepositoryNotFoundException",
					fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", n, AccountID))
				return
			}
			out = append(out, a.publicRepoJSON(r))
		}
		writeJSON(w, map[string]any{"repositories": out})
	case "CreateRepository":
		if _, ok := a.publicRepos[in.RepositoryName]; ok {
			writeECRError(w, 400, "RepositoryAlreadyExistsException",
				fmt.Sprintf("The repository with name '%s' already exists in the registry with id '%s'", in.RepositoryName, AccountID))
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
