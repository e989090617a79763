package integration

import "github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"

// addRepos creates repositories in the local ECR, as a pipeline's account
// would have them: the plugin checks that they exist before it builds.
func addRepos(names ...string) {
	for _, n := range names {
		if _, ok := stack.API.Repository(n); !ok {
			stack.API.AddRepository(localecr.Repository{Name: n})
		}
	}
}
