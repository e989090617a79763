package named

import "testing"

func TestKeyIsTheFamiliarNameWithoutLatest(t *testing.T) {
	for in, want := range map[string]string{
		"alpine": "alpine", "alpine:latest": "alpine", "docker.io/library/alpine": "alpine", "alpine:3.20": "alpine:3.20",
		"ghcr.io/o/r:1": "ghcr.io/o/r:1", "base": "base", "127.0.0.1:5000/x": "127.0.0.1:5000/x",
	} {
		if got, err := Key(in); err != nil || got != want {
			t.Errorf("Key(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "Alpine", "a b", "-x"} {
		if _, err := Key(bad); err == nil {
			t.Errorf("Key(%q) accepted", bad)
		}
	}
}

func TestShiftMapsAddedLinesToTheFirstFrom(t *testing.T) {
	s := Shift{At: 3, N: 4}
	for in, want := range map[int]int{0: 0, 2: 2, 3: 3, 6: 3, 7: 3, 8: 4} {
		if got := s.Line(in); got != want {
			t.Errorf("Line(%d) = %d, want %d", in, got, want)
		}
	}
	if (Shift{}).Line(5) != 5 {
		t.Error("no shift moved a line")
	}
}
