package edits

import "testing"

func TestWithFlagPutsTheFlagRightAfterTheInstructionName(t *testing.T) {
	cases := []struct{ name, original, want string }{
		{"one line", "COPY . /app", "COPY --chown=0:0 . /app"},
		{"the name's case and the spacing are kept", "copy\t a  /b/ ", "copy --chown=0:0\t a  /b/"},
		{"before the flags written", "ADD --link --chmod=0644 a /b", "ADD --chown=0:0 --link --chmod=0644 a /b"},
		{"leading space goes", "   COPY a b", "COPY --chown=0:0 a b"},
		{"a joined continuation", "COPY a    b /c/", "COPY --chown=0:0 a    b /c/"},
		{"an empty one gets the value", "ADD --link --chown= a b", "ADD --link --chown=0:0 a b"},
		{"an empty one last", "ADD --chown=\ta", "ADD --chown=0:0\ta"},
		{"an argument that looks like it is no flag", "COPY a --chown= /b/", "COPY --chown=0:0 a --chown= /b/"},
		{"no arguments", "COPY", ""},
		{"blank", "  ", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := WithFlag(tc.original, "--chown=0:0"); got != tc.want {
				t.Errorf("WithFlag(%q) = %q, want %q", tc.original, got, tc.want)
			}
		})
	}
}
