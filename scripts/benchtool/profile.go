package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/google/pprof/profile"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/benchtool/split"
)

// cmdProfile splits a profile of the plugin into the parts of a run
// (package split) and prints them as TSV, after the run's phases and the
// build's wall-clock split when given: net, workload, kind ("wall" for a
// phase's or a build step's wall seconds, else the sample type), phase,
// part ("-" for a whole phase), owner, value.
func cmdProfile(args []string) error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	in := fs.String("in", "", "a profile the plugin wrote under KANIKO_ECR_PROFILE (cpu.pprof, allocs.pprof)")
	sampleType := fs.String("sample", "cpu", `sample type to add up: "cpu", or for allocs.pprof "alloc_space", ...`)
	phasesPath := fs.String("phases", "", "the run's phases.tsv, printed first")
	wallPath := fs.String("wall", "", "the run's wall.tsv (needs -phases): the build's wall time split by step")
	net := fs.String("net", "-", "net to print in the first column")
	workload := fs.String("workload", "-", "workload to print in the second column")
	other := fs.Int("other", 0, "also print to stderr the N functions that take most of the unmatched samples")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if *phasesPath != "" {
		f, err := os.Open(*phasesPath)
		if err != nil {
			return err
		}
		phases, err := split.ReadPhases(f)
		f.Close()
		if err != nil {
			return err
		}
		for _, p := range phases {
			fmt.Fprintf(w, "%s\t%s\twall\t%s\t-\t-\t%.3f\n", *net, *workload, p.Phase, p.Value)
		}
		if *wallPath != "" {
			if err := printWall(w, *wallPath, phases, *net, *workload); err != nil {
				return err
			}
		}
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	unmatched := map[string]float64{}
	bs, err := split.Buckets(p, *sampleType, unmatched)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	for _, b := range bs {
		phase := b.Phase
		if phase == "" {
			phase = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%.3f\n", *net, *workload, *sampleType, phase, b.Part, b.Owner, b.Value)
	}
	printTop(os.Stderr, unmatched, *other)
	return nil
}

func printWall(w io.Writer, path string, phases []split.Bucket, net, workload string) error {
	build := 0.0
	for _, p := range phases {
		if p.Phase == "build" {
			build = p.Value
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bs, err := split.WallBuckets(f, build)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, b := range bs {
		fmt.Fprintf(w, "%s\t%s\twall\t%s\t%s\t%s\t%.3f\n", net, workload, b.Phase, b.Part, b.Owner, b.Value)
	}
	return nil
}

func printTop(w io.Writer, m map[string]float64, n int) {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return m[names[i]] > m[names[j]] })
	for i, k := range names {
		if i == n {
			break
		}
		fmt.Fprintf(w, "other: %.3f\t%s\n", m[k], k)
	}
}
