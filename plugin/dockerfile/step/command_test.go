package step

import (
	"reflect"
	"testing"
)

func TestCommandIsWhatBuildKitExecutesForARun(t *testing.T) {
	ash := []string{"/bin/ash", "-c"}
	for _, tc := range []struct {
		name      string
		cmdLine   []string
		shellForm bool
		docs      []Heredoc
		args      []string
		script    string
	}{
		{"exec form as written", []string{"ls", "$HOME"}, false, nil, []string{"ls", "$HOME"}, ""},
		{"shell form prepends SHELL", []string{"make all"}, true, nil, []string{"/bin/ash", "-c", "make all"}, ""},
		{"an empty shell form gives the shell no command", nil, true, nil, []string{"/bin/ash", "-c"}, ""},
		{"a heredoc that is the whole command is its body", []string{"<<EOF"}, true,
			[]Heredoc{{Name: "EOF", Data: "echo $A\n", Expand: true}}, []string{"/bin/ash", "-c", "echo $A\n"}, ""},
		{"<<- strips tabs from the body", []string{"<<-EOF"}, true,
			[]Heredoc{{Name: "EOF", Data: "\techo a\n", Chomp: true}}, []string{"/bin/ash", "-c", "echo a\n"}, ""},
		{"a shebang body runs as a script", []string{"<<run.py"}, true,
			[]Heredoc{{Name: "run.py", Data: "#!/usr/bin/env python3\nprint(1)\n"}}, []string{"/dev/pipes/run.py"}, "/dev/pipes/run.py"},
		{"otherwise the shell reads bodies and terminators", []string{"cat <<A <<B"}, true,
			[]Heredoc{{Name: "A", Data: "a\n"}, {Name: "B", Data: "b\n"}}, []string{"/bin/ash", "-c", "cat <<A <<B\na\nA\nb\nB"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args, script := Command(ash, tc.cmdLine, tc.shellForm, tc.docs)
			if !reflect.DeepEqual(args, tc.args) || script != tc.script {
				t.Errorf("got %q %q, want %q %q", args, script, tc.args, tc.script)
			}
		})
	}
}

func TestCommandNeverSharesTheShellsArray(t *testing.T) {
	shell := make([]string, 2, 8)
	copy(shell, []string{"/bin/sh", "-c"})
	a, _ := Command(shell, []string{"a"}, true, nil)
	b, _ := Command(shell, []string{"<<EOF"}, true, []Heredoc{{Name: "EOF", Data: "b\n"}})
	if a[2] != "a" || b[2] != "b\n" {
		t.Errorf("args alias each other: %q %q", a, b)
	}
}
