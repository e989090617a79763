package copyflags

import (
	"errors"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

func TestCheckResolvesFromAsAnEarlierStageAndRefusesWhatIsNotDoneHere(t *testing.T) {
	earlier := []string{"build", ""}
	for _, c := range []struct {
		name, from string
		st         step.Step
		heredocs   int
		stage      int // -1: none
		want       string
	}{
		{name: "context", st: step.Step{Sources: []string{"a"}, Exclude: []string{"**/x", "!y"}}, stage: -1},
		{name: "stage by name", from: "Build", st: step.Step{Sources: []string{"a"}, Parents: true}, stage: 0},
		{name: "stage by index", from: "1", st: step.Step{Sources: []string{"a"}, Parents: true}, stage: 1},
		{name: "index of a later stage", from: "2", st: step.Step{Sources: []string{"a"}, Parents: true}, stage: -1},
		{name: "image", from: "alpine:3", st: step.Step{Sources: []string{"a"}, Parents: true}, stage: -1, want: "COPY --from=alpine:3: with --parents, --exclude or a symbolic --chmod, name an earlier stage here (images are not supported)"},
		{name: "bad pattern", st: step.Step{Add: true, Sources: []string{"a"}, Exclude: []string{"[x"}}, stage: -1, want: "ADD --exclude: "},
		{name: "heredoc", st: step.Step{Exclude: []string{"x"}}, heredocs: 1, stage: -1, want: "COPY: heredocs cannot be combined"},
		{name: "download", st: step.Step{Add: true, Sources: []string{"$U"}, Exclude: []string{"x"}}, stage: -1, want: "ADD $U: --exclude and a symbolic --chmod are supported here for files of the context or a stage, not downloads"},
		{name: "git", st: step.Step{Add: true, Sources: []string{"git@github.com:a/b.git"}, Exclude: []string{"x"}}, stage: -1, want: "not downloads"},
	} {
		t.Run(c.name, func(t *testing.T) {
			word := func(s string) string { return strings.ReplaceAll(s, "$U", "https://e.x/a") }
			msgs := Check(&c.st, c.heredocs, c.from, earlier, word)
			got := strings.Join(msgs, "\n")
			if c.want == "" && got != "" || !strings.Contains(got, c.want) {
				t.Errorf("messages %q, want %q", got, c.want)
			}
			if stage := c.st.FromStage; stage == nil && c.stage != -1 || stage != nil && *stage != c.stage {
				t.Errorf("stage %v, want %d", stage, c.stage)
			}
		})
	}
}

func TestDigestHashesTheSelectionOrTheWholeContextForSourcesKnownLater(t *testing.T) {
	var asked []string
	hash := func(srcs []string, parents bool, excl []string, _ bool) (string, error) {
		asked = append(asked, strings.Join(srcs, ",")+" "+strings.Join(excl, ","))
		return "d", nil
	}
	for _, st := range []step.Step{
		{Kind: "pick", Sources: []string{"a", "b/./c"}, Exclude: []string{"x"}},
		{Kind: "pick", Sources: []string{"$A"}, Exclude: []string{"x"}},
		{Kind: "pick", Sources: []string{"a"}, FromStage: new(int)},
		{Kind: "run"},
	} {
		if err := Digest(&st, hash); err != nil {
			t.Fatal(err)
		}
	}
	if want := "a,b/./c x|. "; strings.Join(asked, "|") != want {
		t.Errorf("hashed %q, want %q", strings.Join(asked, "|"), want)
	}
	err := Digest(&step.Step{Kind: "pick", Add: true, Sources: []string{"a"}}, func([]string, bool, []string, bool) (string, error) { return "", errors.New(`"a": not found`) })
	if err == nil || err.Error() != `ADD: "a": not found in the build context` {
		t.Errorf("err = %v", err)
	}
}
