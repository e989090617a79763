package split

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"
)

// Bucket is a part's share of one phase: CPU seconds or, for other sample
// types, the sample's own unit.
type Bucket struct {
	Phase, Part, Owner string
	Value              float64
}

// Buckets sums the samples of p by phase and part. sampleType picks the
// value ("cpu" for a CPU profile, "alloc_space" for allocs); cpu
// nanoseconds become seconds. unmatched, when not nil, gets the value of
// each function at the top of an "other" stack.
func Buckets(p *profile.Profile, sampleType string, unmatched map[string]float64) ([]Bucket, error) {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == sampleType {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("no %q samples in the profile", sampleType)
	}
	scale := 1.0
	if p.SampleType[idx].Unit == "nanoseconds" {
		scale = 1e-9
	}
	sums := map[Bucket]float64{}
	for _, s := range p.Sample {
		var funcs []string
		for _, loc := range s.Location {
			for _, ln := range loc.Line {
				if ln.Function != nil {
					funcs = append(funcs, ln.Function.Name)
				}
			}
		}
		phase := ""
		if v := s.Label["phase"]; len(v) > 0 {
			phase = v[0]
		}
		part, owner := Classify(phase, funcs)
		v := float64(s.Value[idx]) * scale
		sums[Bucket{Phase: phase, Part: part, Owner: owner}] += v
		if part == PartOther && unmatched != nil && len(funcs) > 0 {
			unmatched[firstNonRuntime(funcs)] += v
		}
	}
	var out []Bucket
	for b, v := range sums {
		b.Value = v
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Phase != out[j].Phase {
			return out[i].Phase < out[j].Phase
		}
		return out[i].Value > out[j].Value
	})
	return out, nil
}

// buildGoroutine is the frame that marks the goroutine running kaniko's
// build: its stack in the wall-clock profile says which step the build is
// in, on CPU or waiting.
const buildGoroutine = kanikoPkg + "executor.DoBuild"

// WallBuckets splits the build phase's wall time (buildWall seconds) by the
// step the build goroutine was in at each tick of the plugin's wall.tsv;
// ticks where no goroutine was in kaniko's build are PartOutside. A stack
// cut at 32 frames that lost its DoBuild frame counts there too.
func WallBuckets(r io.Reader, buildWall float64) ([]Bucket, error) {
	ticks := 0
	counts := map[Bucket]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || f[1] != "build" {
			continue
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("wall: %q: %w", sc.Text(), err)
		}
		switch {
		case f[0] == "ticks":
			ticks += n
		case f[0] == "stack" && len(f) == 4:
			funcs := strings.Split(f[3], ";")
			if !slices.Contains(funcs, buildGoroutine) {
				continue
			}
			part, owner := Classify("build", funcs)
			counts[Bucket{Phase: "build", Part: part, Owner: owner}] += n
		}
	}
	if err := sc.Err(); err != nil || ticks == 0 {
		return nil, err
	}
	var out []Bucket
	inside := 0
	for b, n := range counts {
		b.Value = buildWall * float64(n) / float64(ticks)
		out = append(out, b)
		inside += n
	}
	if inside < ticks {
		out = append(out, Bucket{Phase: "build", Part: PartOutside, Owner: OwnOurs, Value: buildWall * float64(ticks-inside) / float64(ticks)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Value > out[j].Value })
	return out, nil
}

func firstNonRuntime(funcs []string) string {
	for _, f := range funcs {
		if !strings.HasPrefix(f, "runtime.") && !strings.HasPrefix(f, "internal/") && !strings.HasPrefix(f, "syscall.") {
			return f
		}
	}
	return funcs[0]
}

// ReadPhases reads the plugin's phases.tsv: name<TAB>seconds lines.
func ReadPhases(r io.Reader) ([]Bucket, error) {
	var out []Bucket
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, secs, ok := strings.Cut(strings.TrimSpace(sc.Text()), "\t")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(secs, 64)
		if err != nil {
			return nil, fmt.Errorf("phases: %q: %w", sc.Text(), err)
		}
		out = append(out, Bucket{Phase: name, Value: v})
	}
	return out, sc.Err()
}
