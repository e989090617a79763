package dockerfile

import (
	"reflect"
	"strings"
	"testing"
)

func TestParentsAndExcludeBecomeAPickStepKeyedByWhatTheySelect(t *testing.T) {
	src := []byte("FROM alpine AS base\nRUN make\nFROM alpine\nCOPY --parents --exclude=**/*.md --chown=1:2 a/./b* /d/\nADD --exclude=x --exclude=!x/y . /e/\nCOPY --from=base --exclude=*.o /out /bin/\n")
	ids := map[string]bool{}
	for _, content := range []string{"v1", "v2"} {
		opts := testOpts()
		var asked []string
		opts.SelectHash = func(sources []string, parents bool, exclude []string, _ bool) (string, error) {
			asked = append(asked, strings.Join(sources, ",")+" "+strings.Join(exclude, ","))
			return content, nil
		}
		res, probs := Analyze(src, opts)
		if len(probs) != 0 {
			t.Fatal(messages(probs))
		}
		if want := []string{"a/./b* **/*.md", ". x,!x/y"}; !reflect.DeepEqual(asked, want) {
			t.Errorf("hashed %q, want %q (not the stage's sources)", asked, want)
		}
		var picks []Step
		keep := false
		for _, st := range res.Steps {
			switch st.Kind {
			case "pick":
				picks = append(picks, st)
			case "keep":
				keep = st.Stage == 0 && reflect.DeepEqual(st.Keep, []string{"/"})
			}
		}
		if len(picks) != 3 || !keep {
			t.Fatalf("steps %+v: want three picks and stage 0 kept whole", res.Steps)
		}
		p, a, f := picks[0], picks[1], picks[2]
		if !p.Helper || !p.Parents || p.Add || p.Chown != "1:2" || p.Dest != "/d/" || p.Digest != content || !reflect.DeepEqual(p.Sources, []string{"a/./b*"}) {
			t.Errorf("COPY --parents: %+v", p)
		}
		if !a.Add || a.Parents || !reflect.DeepEqual(a.Exclude, []string{"x", "!x/y"}) {
			t.Errorf("ADD --exclude: %+v", a)
		}
		if f.FromStage == nil || *f.FromStage != 0 || f.Digest != "" {
			t.Errorf("COPY --from: %+v", f)
		}
		ids[p.ID] = true
		lines := strings.Split(string(res.Dockerfile), "\n")[1:] // the keep step's line comes after line 2
		if !strings.HasPrefix(lines[3], `RUN ["/kaniko/kaniko-ecr","step","/kaniko/steps/`+p.ID+`.json"]`) {
			t.Errorf("line 4: %s", lines[3])
		}
		if res.CacheBuster == "" || !strings.HasSuffix(lines[5], `.json","`+res.CacheBuster+`"]`) {
			t.Errorf("the copy from a stage is cached: %s", lines[5])
		}
		if res.History[lines[3]] != "COPY --parents --exclude=**/*.md --chown=1:2 a/./b* /d/" {
			t.Errorf("history: %q", res.History)
		}
	}
	if len(ids) != 2 {
		t.Error("the step id did not change with what the sources select")
	}
}

func TestAPickWhoseSourcesAreMissingIsAProblem(t *testing.T) {
	opts := testOpts()
	opts.SelectHash = func([]string, bool, []string, bool) (string, error) { return "", errNotFound }
	_, probs := Analyze([]byte("FROM alpine\nCOPY --exclude=x nope /d/\n"), opts)
	if want := `Dockerfile:2: COPY: "nope": not found in the build context`; !strings.Contains(messages(probs), want) {
		t.Errorf("problems:\n%swant %q", messages(probs), want)
	}
}

type notFound struct{}

func (notFound) Error() string { return `"nope": not found` }

var errNotFound = notFound{}

// kaniko refuses a symbolic --chmod; BuildKit applies it to each file's
// own mode. Such a COPY or ADD becomes a pick step with the mode as written;
// an octal one stays kaniko's.
func TestASymbolicChmodMakesTheCopyAPickStep(t *testing.T) {
	opts := testOpts()
	opts.SelectHash = func([]string, bool, []string, bool) (string, error) { return "d", nil }
	src := []byte("FROM alpine AS base\nRUN make\nFROM alpine\nCOPY --chmod=a+rX,u-w app /app/\nADD --chmod=go-w conf /etc/conf\nCOPY --from=base --chmod=u+x /out/tool /bin/\nCOPY --chmod=0755 run.sh /\n")
	res, probs := Analyze(src, opts)
	if len(probs) != 0 {
		t.Fatal(messages(probs))
	}
	var modes []string
	for _, st := range res.Steps {
		if st.Kind == "pick" {
			modes = append(modes, st.Chmod)
		}
	}
	if want := []string{"a+rX,u-w", "go-w", "u+x"}; !reflect.DeepEqual(modes, want) {
		t.Errorf("pick steps with modes %q, want %q", modes, want)
	}
	if last := strings.Split(strings.TrimSpace(string(res.Dockerfile)), "\n"); last[len(last)-1] != "COPY --chown=0:0 --chmod=0755 run.sh /" {
		t.Errorf("the octal COPY is not left to kaniko (owned by root): %q", last[len(last)-1])
	}
}

// ADD --unpack=false copies local archives as files, as COPY does: a pick
// step that unpacks nothing. --unpack=true of local files and
// --unpack=false of a download are what kaniko's ADD does anyway.
func TestAddUnpackFalseOfLocalFilesIsAPickThatUnpacksNothing(t *testing.T) {
	opts := testOpts()
	opts.SelectHash = func([]string, bool, []string, bool) (string, error) { return "d", nil }
	src := []byte("FROM alpine\nADD --unpack=False app.tgz /a/\nADD --unpack=true app.tgz /b/\nADD --unpack=false https://e.x/app.tgz /c/\n")
	res, probs := Analyze(src, opts)
	if len(probs) != 0 {
		t.Fatal(messages(probs))
	}
	var picks []Step
	for _, st := range res.Steps {
		if st.Kind == "pick" {
			picks = append(picks, st)
		}
	}
	if len(picks) != 1 || picks[0].Line != 2 || picks[0].Add || picks[0].Dest != "/a/" {
		t.Fatalf("pick steps %+v: want one, for line 2, copying as COPY does", picks)
	}
	lines := strings.Split(string(res.Dockerfile), "\n")
	if lines[2] != "ADD --chown=0:0 --unpack=true app.tgz /b/" || lines[3] != "ADD --chown=0:0 --unpack=false https://e.x/app.tgz /c/" {
		t.Errorf("lines 3 and 4 are not left to kaniko (owned by root): %q", lines[2:4])
	}
}
