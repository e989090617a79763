package dockerfile

import (
	"slices"
	"strings"
	"testing"
)

func TestVolumesAreTakenFromKanikoAndGivenToTheTargetsConfig(t *testing.T) {
	cases := []struct {
		name, src, target string
		want              []string
		kaniko            []int // lines whose VOLUME stays kaniko's
	}{
		{name: "shell and JSON forms, in order", src: "FROM a\nVOLUME /data /cache\nRUN touch /data/x\nVOLUME [\"/logs\"]\n", want: []string{"/data", "/cache", "/logs"}},
		{name: "variables the Dockerfile defines", src: "FROM a\nARG D=/srv\nENV L=/var/log/app\nVOLUME $D ${L}\n", want: []string{"/srv", "/var/log/app"}},
		{name: "a stage built on another inherits its volumes", src: "FROM a AS base\nVOLUME /data\nFROM base\nVOLUME /more\n", want: []string{"/data", "/more"}},
		{name: "the target's, not the last stage's", src: "FROM a AS one\nVOLUME /one\nFROM b AS two\nVOLUME /two\n", target: "One", want: []string{"/one"}},
		{name: "another image's stage does not pass its volumes on", src: "FROM a AS one\nVOLUME /one\nFROM b\nCOPY --from=one /one /x\n"},
		{name: "a variable only the base image defines stays kaniko's", src: "FROM a\nVOLUME /known $FROM_BASE\n", kaniko: []int{2}},
	}
	if _, probs := Analyze([]byte("FROM a\nVOLUME \"/open\n"), testOpts()); len(probs) != 1 || probs[0].Line != 2 || !strings.HasPrefix(probs[0].Msg, "VOLUME ") {
		t.Errorf("an unclosed quote: problems %v, want one at line 2", probs)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOpts()
			opts.Target = tc.target
			res, probs := Analyze([]byte(tc.src), opts)
			if len(probs) != 0 {
				t.Fatal(messages(probs))
			}
			if !slices.Equal(res.Volumes, tc.want) {
				t.Errorf("volumes %q, want %q", res.Volumes, tc.want)
			}
			lines := strings.Split(string(res.Dockerfile), "\n")
			for i, l := range strings.Split(tc.src, "\n") {
				if !strings.HasPrefix(l, "VOLUME") {
					continue
				}
				kept := slices.Contains(tc.kaniko, i+1)
				if lines[i] == "" && tc.target != "" {
					continue // a stage the target does not need is emptied
				}
				if kept && lines[i] != l || !kept && lines[i] != "ARG "+volumeArg {
					t.Errorf("line %d %q became %q (kaniko's: %v)", i+1, l, lines[i], kept)
				}
			}
		})
	}
}

func TestAStageTheTargetDoesNotNeedStaysEmptyWithoutOwnersOrVolumes(t *testing.T) {
	opts := testOpts()
	opts.Target = "one"
	res, probs := Analyze([]byte("FROM a AS one\nCOPY x /x\nVOLUME /v\nFROM b AS two\nCOPY y /y\nVOLUME /w\nRUN echo\n"), opts)
	if len(probs) != 0 {
		t.Fatal(messages(probs))
	}
	want := "FROM a AS one\nCOPY --chown=0:0 x /x\nARG " + volumeArg + "\nFROM scratch AS two\n\n\n\n"
	if string(res.Dockerfile) != want {
		t.Errorf("kaniko reads\n%s\nwant\n%s", res.Dockerfile, want)
	}
	if !slices.Equal(res.Volumes, []string{"/v"}) {
		t.Errorf("volumes %q", res.Volumes)
	}
}
