package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// splice puts gen between the markers of doc, or appends it when doc has none.
func splice(doc, gen string) string {
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + gen
	}
	rest := doc[j+len(endMarker):]
	rest = strings.TrimPrefix(rest, "\n")
	return doc[:i] + gen + rest
}

func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	resPath := fs.String("results", "", "results file: net workload tool run wall rss, tab-separated")
	metaPath := fs.String("meta", "", "key<TAB>value lines: date, cpu, nproc, mem, ...")
	profPath := fs.String("profiles", "", "benchtool profile's lines for every profiled run (bench.sh's profiles.tsv)")
	sizePath := fs.String("sizes", "", "pushed sizes: net workload tool run bytes, tab-separated (bench.sh's sizes.tsv)")
	out := fs.String("out", "docs/BENCHMARKS.md", "document to update between its markers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rf, err := os.Open(*resPath)
	if err != nil {
		return err
	}
	defer rf.Close()
	res, err := parseResults(rf)
	if err != nil {
		return fmt.Errorf("reading %s: %w", *resPath, err)
	}
	m := meta{}
	if *metaPath != "" {
		mf, err := os.Open(*metaPath)
		if err != nil {
			return err
		}
		defer mf.Close()
		if m, err = parseMeta(mf); err != nil {
			return err
		}
	}
	var prof profiles
	if *profPath != "" {
		pf, err := os.Open(*profPath)
		if err != nil {
			return err
		}
		defer pf.Close()
		if prof, err = parseProfiles(pf); err != nil {
			return fmt.Errorf("reading %s: %w", *profPath, err)
		}
	}
	var sz sizes
	if *sizePath != "" {
		sf, err := os.Open(*sizePath)
		if err != nil {
			return err
		}
		defer sf.Close()
		if sz, err = parseSizes(sf); err != nil {
			return fmt.Errorf("reading %s: %w", *sizePath, err)
		}
	}
	var b strings.Builder
	render(&b, res, m, prof, sz)
	doc, err := os.ReadFile(*out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(*out, []byte(splice(string(doc), b.String())), 0o644)
}
