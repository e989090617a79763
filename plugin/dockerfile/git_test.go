package dockerfile

import (
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/sources"
)

func TestAddOfAGitSourceBecomesAHelperStepWithTheRepositoryAsBuildKitReadsIt(t *testing.T) {
	commit := strings.Repeat("ab", 20)
	for _, c := range []struct {
		name, line string
		want       sources.Git
	}{
		{"fragment", "ADD https://github.com/o/r.git#v1:docs /src", sources.Git{Remote: "https://github.com/o/r.git", Ref: "v1", SubDir: "docs", Submodules: true}},
		{"query", `ADD "https://github.com/o/r.git?ref=main&subdir=a/b&keep-git-dir=true&checksum=` + commit + `" /src`, sources.Git{Remote: "https://github.com/o/r.git", Ref: "main", SubDir: "a/b", KeepGitDir: true, Checksum: commit, Submodules: true}},
		{"flags", "ADD --keep-git-dir --checksum=" + commit[:8] + " --chown=1:2 --chmod=700 git@github.com:o/r.git /src", sources.Git{Remote: "git@github.com:o/r.git", KeepGitDir: true, Checksum: commit[:8], Submodules: true}},
		{"ssh url", "ADD ssh://git@example.com:2222/o/r.git#main /src", sources.Git{Remote: "ssh://git@example.com:2222/o/r.git", Ref: "main", Submodules: true}},
		{"variables", "ARG REPO=https://github.com/o/r.git\nARG V=v2\nADD \"${REPO}#$V\" /src", sources.Git{Remote: "https://github.com/o/r.git", Ref: "v2", Submodules: true}},
		{"quoted", "ADD 'git@github.com:o/r.git' /src", sources.Git{Remote: "git@github.com:o/r.git", Submodules: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, probs := Analyze([]byte("FROM alpine\n"+c.line+"\n"), testOpts())
			if len(probs) > 0 {
				t.Fatalf("problems:\n%s", messages(probs))
			}
			if len(res.Steps) != 1 {
				t.Fatalf("steps %+v", res.Steps)
			}
			st := res.Steps[0]
			if st.Kind != "git" || !st.Helper || st.Git == nil || *st.Git != c.want || st.Dest != "/src" {
				t.Fatalf("step %+v git %+v, want %+v", st, st.Git, c.want)
			}
			line := `RUN ["/kaniko/kaniko-ecr","step","/kaniko/steps/` + st.ID + `.json"]`
			if !strings.Contains(string(res.Dockerfile), "\n"+line+"\n") || res.History[line] != strings.Split(c.line, "\n")[len(strings.Split(c.line, "\n"))-1] {
				t.Errorf("Dockerfile:\n%s\nhistory %v", res.Dockerfile, res.History)
			}
		})
	}
}
