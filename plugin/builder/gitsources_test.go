package builder

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/sources"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

func TestGitSourcesCommitGoesIntoTheStepsLineAndTheHistoryKeepsTheInstruction(t *testing.T) {
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("f\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "f")
	git("commit", "-q", "-m", "one")
	commit := git("rev-parse", "HEAD")
	remote := "file://" + dir
	line := `RUN ["/kaniko/kaniko-ecr","step","/kaniko/.kaniko-ecr/steps/abc.json"]`
	const orig = "ADD https://example.com/r.git#main /src"
	res := &dockerfile.Result{
		Dockerfile: []byte("FROM a\n" + line + "\nRUN ls\n"),
		Steps:      []dockerfile.Step{{ID: "abc", Kind: "git", Helper: true, Git: &sources.Git{Remote: remote, Ref: "main"}}},
		History:    map[string]string{line: orig},
	}
	got, gits, err := resolveGitSources(context.Background(), &settings.Plan{Frontend: res})
	if err != nil {
		t.Fatal(err)
	}
	keyed := `RUN ["/kaniko/kaniko-ecr","step","/kaniko/.kaniko-ecr/steps/abc.json","` + commit + `"]`
	if string(got.Dockerfile) != "FROM a\n"+keyed+"\nRUN ls\n" || got.History[keyed] != orig || len(got.History) != 1 {
		t.Errorf("Dockerfile:\n%s\nhistory %v", got.Dockerfile, got.History)
	}
	if gits.Resolved["abc"].Commit != commit {
		t.Errorf("resolved %+v", gits.Resolved)
	}
	if string(res.Dockerfile) != "FROM a\n"+line+"\nRUN ls\n" || res.History[line] != orig {
		t.Error("the plan's front end result was changed")
	}
	if c := (Kaniko{}).GitSources()[remote+"#refs/heads/main"]; c != commit {
		t.Errorf("recorded %v", (Kaniko{}).GitSources())
	}
	res.Steps[0].Git.Ref = "nope"
	if _, _, err := resolveGitSources(context.Background(), &settings.Plan{Frontend: res}); err == nil || !strings.Contains(err.Error(), "ref nope") {
		t.Errorf("a missing ref: %v", err)
	}
}
