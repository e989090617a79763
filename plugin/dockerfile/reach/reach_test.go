package reach

import (
	"reflect"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/edits"
)

func TestStagesMarksWhatTheTargetNeeds(t *testing.T) {
	const src = "FROM a AS one\nFROM b AS two\nCOPY --from=one /x /x\nFROM c AS three\nRUN --mount=type=cache,target=/c,from=two true\nFROM d\nCOPY --from=0 /y /y\n"
	upper := func(s string) string { return strings.ReplaceAll(s, "$S", "two") }
	for _, tc := range []struct {
		name, src, target string
		want              []bool
	}{
		{"the last stage, by COPY --from index", src, "", []bool{true, false, false, true}},
		{"a target through mount from= and COPY --from", src, "three", []bool{true, true, true, false}},
		{"a target by name, any case", src, "TWO", []bool{true, true, false, false}},
		{"a target by index", src, "0", []bool{true, false, false, false}},
		{"an unknown target marks nothing", src, "nope", nil},
		{"FROM an earlier stage", "FROM a AS base\nFROM base\n", "", []bool{true, true}},
		{"names expand", "FROM a AS two\nFROM b\nCOPY --from=$S /x /x\n", "", []bool{true, true}},
		{"no stage", "ARG X=1\n", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := parser.Parse(strings.NewReader(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := Stages(res.AST, tc.target, upper); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPruneEmptiesEveryStageNotReachedKeepingNamesAndIndexes(t *testing.T) {
	const src = "FROM a AS One\nRUN x\n\nFROM b\nRUN y\nFROM c AS three\nCOPY --from=0 /x /x\n"
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	got := Prune(res.AST, []bool{false, false, true}, 8)
	want := []edits.Edit{{Start: 1, End: 3, Text: "FROM scratch AS One"}, {Start: 4, End: 5, Text: "FROM scratch"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := Prune(res.AST, []bool{true, true, false}, 8); !reflect.DeepEqual(got, []edits.Edit{{Start: 6, End: 8, Text: "FROM scratch AS three"}}) {
		t.Errorf("the last stage: got %v", got)
	}
	if got := Names(res.AST); !reflect.DeepEqual(got, []string{"one", "", "three"}) {
		t.Errorf("names %q", got)
	}
}
