package buildinput

import "github.com/kaniko-ecr/kaniko-ecr/plugin/steps/pick"

// SelectHash returns a function that digests exactly what COPY or ADD
// sources with --parents and --exclude select in the build context (see
// package pick: paths, types, modes, link targets and contents), after the
// context's .dockerignore has left its paths out (dockerfile is the
// Dockerfile's path). A source that is not there is an error, as in
// BuildKit, and so is a local archive for ADD (add), which is not unpacked
// here.
func SelectHash(context, dockerfile string) func(sources []string, parents bool, exclude []string, add bool) (string, error) {
	return func(sources []string, parents bool, exclude []string, add bool) (string, error) {
		ig, err := ContextIgnore(context, dockerfile)
		if err != nil {
			return "", err
		}
		ms, err := pick.Tree{Root: context, Ignored: ig.Skips, AsRoot: true}.Select(pick.Spec{Sources: sources, Parents: parents, Exclude: exclude, Add: add})
		if err != nil {
			return "", err
		}
		return pick.Digest(ms)
	}
}
