package plugin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"
)

// profileEnv names a directory a run writes its profiles to. It is a
// developer knob for scripts/bench.sh (docs/BENCHMARKS.md), not a setting:
// no PLUGIN_ prefix, not in the plan, not in --help.
const profileEnv = "KANIKO_ECR_PROFILE"

// profiling is on while a run records a CPU profile; a process records at
// most one, as runtime/pprof allows.
var profiling atomic.Bool

// profile starts recording when KANIKO_ECR_PROFILE names a directory and
// returns what stops it, which writes there:
//
//	cpu.pprof     the CPU profile of the whole run; each sample carries
//	              a "phase" label: the current phase on the run's own
//	              goroutine, on any other the phase it was started in
//	              (see labelPhase)
//	allocs.pprof  the allocation profile at the end (go tool pprof
//	              -sample_index=inuse_space shows it as a heap profile)
//	phases.tsv    each phase's name and seconds, as the log's time line,
//	              then "total"
//	wall.tsv      a wall-clock profile: every goroutine's stack, sampled
//	              every 10 ms with the run's phase, so time spent waiting
//	              (disk, network) shows where the CPU profile cannot see it
//	              (see wallProfile)
//
// Profiles hold stack samples and sizes, never memory contents: no
// goroutine dump (whose traces carry argument words), no heap dump.
// Unset, it costs one os.Getenv.
func (r *run) profile() (stop func()) {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return func() {}
	}
	warn := func(err error) { fmt.Fprintf(r.deps.Stderr, "%s: %v\n", profileEnv, err) }
	if err := os.MkdirAll(dir, 0o700); err != nil {
		warn(err)
		return func() {}
	}
	cpu, err := os.OpenFile(filepath.Join(dir, "cpu.pprof"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err == nil {
		if err = pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
		}
	}
	if err != nil {
		warn(err)
		return func() {}
	}
	profiling.Store(true)
	wall := startWall(r)
	return func() {
		pprof.StopCPUProfile()
		wall.stop()
		profiling.Store(false)
		pprof.SetGoroutineLabels(context.Background())
		err := errors.Join(cpu.Close(), writeProfile(filepath.Join(dir, "allocs.pprof"), "allocs"),
			writeFile(filepath.Join(dir, "phases.tsv"), r.phaseTable()),
			writeFile(filepath.Join(dir, "wall.tsv"), wall.table()))
		if err != nil {
			warn(err)
		}
	}
}

// labelPhase labels the calling goroutine, and every goroutine it starts
// from now on, with the phase, while a profile is recorded.
func labelPhase(phase string) {
	if profiling.Load() {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("phase", phase)))
	}
}

// phaseTable is the phases so far, the one still open included, and the
// total: "name<TAB>seconds" lines.
func (r *run) phaseTable() string {
	var b strings.Builder
	for _, p := range r.phases {
		fmt.Fprintf(&b, "%s\t%.3f\n", p.name, p.took.Seconds())
	}
	if name, _ := r.phase.Load().(string); name != "" && !r.phaseStart.IsZero() {
		fmt.Fprintf(&b, "%s\t%.3f\n", name, time.Since(r.phaseStart).Seconds())
	}
	fmt.Fprintf(&b, "total\t%.3f\n", time.Since(r.start).Seconds())
	return b.String()
}

func writeProfile(path, name string) error {
	runtime.GC() // the allocation profile is as of the last GC
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup(name).WriteTo(f, 0), f.Close())
}

func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0o600)
}

// wallTick is how often wallProfile samples.
const wallTick = 10 * time.Millisecond

// wallProfile samples the stacks of all goroutines (runtime.GoroutineProfile:
// program counters only, at most 32 frames, innermost first) every wallTick,
// with the run's phase at that moment. A goroutine's share of a phase's
// ticks is its share of the phase's wall time, whether it ran or waited.
type wallProfile struct {
	r      *run
	ticks  map[string]int    // phase: samples taken
	counts map[wallStack]int // phase and stack: goroutines seen there
	quit   chan struct{}
	done   chan struct{}
}

type wallStack struct {
	phase string
	pcs   [32]uintptr
}

func startWall(r *run) *wallProfile {
	w := &wallProfile{r: r, ticks: map[string]int{}, counts: map[wallStack]int{}, quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *wallProfile) loop() {
	defer close(w.done)
	t := time.NewTicker(wallTick)
	defer t.Stop()
	recs := make([]runtime.StackRecord, 64)
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		n, ok := runtime.GoroutineProfile(recs)
		if !ok {
			recs = make([]runtime.StackRecord, n+n/2)
			continue
		}
		phase, _ := w.r.phase.Load().(string)
		w.ticks[phase]++
		for _, rec := range recs[:n] {
			w.counts[wallStack{phase, rec.Stack0}]++
		}
	}
}

func (w *wallProfile) stop() {
	close(w.quit)
	<-w.done
}

// table is "ticks<TAB>phase<TAB>n" lines, then "stack<TAB>phase<TAB>n<TAB>
// f1;f2;..." with function names innermost first; a stack of 32 frames may
// have lost its outermost ones and ends in "...".
func (w *wallProfile) table() string {
	var b strings.Builder
	for phase, n := range w.ticks {
		fmt.Fprintf(&b, "ticks\t%s\t%d\n", phase, n)
	}
	for k, n := range w.counts {
		var funcs []string
		rec := runtime.StackRecord{Stack0: k.pcs}
		pcs := rec.Stack()
		frames := runtime.CallersFrames(pcs)
		for {
			f, more := frames.Next()
			funcs = append(funcs, f.Function)
			if !more {
				break
			}
		}
		if len(pcs) == len(k.pcs) {
			funcs = append(funcs, "...")
		}
		fmt.Fprintf(&b, "stack\t%s\t%d\t%s\n", k.phase, n, strings.Join(funcs, ";"))
	}
	return b.String()
}
