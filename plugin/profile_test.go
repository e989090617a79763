package plugin

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// KANIKO_ECR_PROFILE names a directory: the run leaves its CPU and
// allocation profiles there, and its phase times with the total; the phase
// labels its goroutines while it records.
func TestProfileWritesProfilesAndPhases(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	t.Setenv(profileEnv, dir)
	var stderr bytes.Buffer
	r := &run{deps: Deps{Stderr: &stderr}, start: time.Now()}
	stop := r.profile()
	r.enter("build")
	// A goroutine started in the build carries the build's label.
	release := make(chan struct{})
	go func() { <-release }()
	var goroutines bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&goroutines, 1); err != nil {
		t.Fatal(err)
	}
	close(release)
	if !strings.Contains(goroutines.String(), `"phase":"build"`) {
		t.Errorf("no goroutine labelled with the build phase:\n%s", goroutines.String())
	}
	busy(100 * time.Millisecond)
	r.enter("push")
	stop()

	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	for _, name := range []string{"cpu.pprof", "allocs.pprof", "phases.tsv", "wall.tsv"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() == 0 || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: size %d, mode %v; want written, 0600", name, fi.Size(), fi.Mode().Perm())
		}
	}
	phases, err := os.ReadFile(filepath.Join(dir, "phases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(phases)), "\n") {
		name, _, _ := strings.Cut(line, "\t")
		names = append(names, name)
	}
	if got := strings.Join(names, " "); got != "build push total" {
		t.Errorf("phases.tsv names %q, want the closed phase, the open one and the total", got)
	}
	if profiling.Load() {
		t.Error("still profiling after stop")
	}
	// The wall-clock profile saw this goroutine busy in the build.
	wall, err := os.ReadFile(filepath.Join(dir, "wall.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	sawTicks, sawBusy := false, false
	for _, line := range strings.Split(string(wall), "\n") {
		f := strings.Split(line, "\t")
		sawTicks = sawTicks || len(f) == 3 && f[0] == "ticks" && f[1] == "build"
		sawBusy = sawBusy || len(f) == 4 && f[0] == "stack" && f[1] == "build" && strings.Contains(f[3], "plugin.busy;")
	}
	if !sawTicks || !sawBusy {
		t.Errorf("wall.tsv: ticks in the build %v, the busy goroutine's stack %v:\n%s", sawTicks, sawBusy, wall)
	}
}

// Unset, nothing is written and no goroutine is labelled.
func TestProfileOffDoesNothing(t *testing.T) {
	t.Setenv(profileEnv, "")
	r := &run{deps: Deps{Stderr: &bytes.Buffer{}}, start: time.Now()}
	stop := r.profile()
	if profiling.Load() {
		t.Fatal("profiling with KANIKO_ECR_PROFILE unset")
	}
	r.enter("build")
	var goroutines bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&goroutines, 1); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(goroutines.String(), `"phase"`) {
		t.Errorf("a goroutine is labelled with a phase while not profiling:\n%s", goroutines.String())
	}
	stop()
}

func busy(d time.Duration) {
	sum := sha256.Sum256(nil)
	for end := time.Now().Add(d); time.Now().Before(end); {
		sum = sha256.Sum256(sum[:])
	}
}
