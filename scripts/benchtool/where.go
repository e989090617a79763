package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/benchtool/split"
)

// profRow is a line of bench.sh's profiles.tsv, as benchtool profile
// prints it: a phase's wall seconds (kind "wall", part "-") or a part's CPU
// seconds (kind "cpu") in one profiled plugin run.
type profRow struct {
	net, workload, kind, phase, part, owner string
	secs                                    float64
}

// profiles holds the rows of every profiled run, in file order.
type profiles []profRow

func parseProfiles(r io.Reader) (profiles, error) {
	var out profiles
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if len(f) == 0 || f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 7 {
			return nil, fmt.Errorf("line %d: want 7 tab-separated fields (net workload kind phase part owner seconds), got %d", line, len(f))
		}
		s, err := strconv.ParseFloat(f[6], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, profRow{f[0], f[1], f[2], f[3], f[4], f[5], s})
	}
	return out, sc.Err()
}

// of returns the rows of one run.
func (p profiles) of(net, workload string) profiles {
	var out profiles
	for _, r := range p {
		if r.net == net && r.workload == workload {
			out = append(out, r)
		}
	}
	return out
}

// get is the seconds of a phase's wall time (part "-") or of a part's CPU.
func (p profiles) get(kind, phase, part string) (float64, bool) {
	for _, r := range p {
		if r.kind == kind && r.phase == phase && r.part == part {
			return r.secs, true
		}
	}
	return 0, false
}

// cpuOf is the CPU seconds of a phase, all its parts; phase "": of the
// whole run.
func (p profiles) cpuOf(phase string) float64 {
	t := 0.0
	for _, r := range p {
		if r.kind == "cpu" && (phase == "" || r.phase == phase) {
			t += r.secs
		}
	}
	return t
}

// phaseOwners says who owns a phase that has no split.
var phaseOwners = map[string]string{"settings": split.OwnOurs, "auth": split.OwnOurs, "tar": split.OwnOurs, "verify": split.OwnOurs, "provenance": split.OwnOurs, "outputs": split.OwnOurs}

const totalLabel = "**total**"

// cell is one number of the table, absent where not measured.
type cell struct {
	v  float64
	ok bool
}

// whereRow is a row of the table: a label, an owner, and per net the wall
// seconds and the CPU seconds.
type whereRow struct {
	label, owner string
	wall, cpu    []cell
}

// whereRows lays out one workload's table: each phase's wall and CPU time;
// under the build, kaniko's steps in wall time (from the wall-clock
// profile) and CPU time; under the push, its parts' CPU time; the total;
// the CPU no phase claims; the floor's parts.
func whereRows(p profiles, r results, wl, floorOf string, nets []string) []whereRow {
	runs := make([]profiles, len(nets))
	profiled := false
	for i, n := range nets {
		runs[i] = p.of(n, wl)
		profiled = profiled || len(runs[i]) > 0
	}
	if !profiled {
		return nil
	}
	var rows []whereRow
	add := func(label, owner string, wall, cpu func(run profiles, i int) (float64, bool)) {
		row := whereRow{label: label, owner: owner, wall: make([]cell, len(nets)), cpu: make([]cell, len(nets))}
		any := false
		for i := range nets {
			if wall != nil {
				row.wall[i].v, row.wall[i].ok = wall(runs[i], i)
			}
			if cpu != nil {
				row.cpu[i].v, row.cpu[i].ok = cpu(runs[i], i)
			}
			any = any || row.wall[i].ok || row.cpu[i].ok
		}
		if any {
			rows = append(rows, row)
		}
	}
	cpuSum := func(phase string) func(profiles, int) (float64, bool) {
		return func(run profiles, _ int) (float64, bool) { c := run.cpuOf(phase); return c, c > 0 }
	}
	for _, ph := range union(runs, "wall", "", "") {
		if ph == "total" {
			continue
		}
		owner := phaseOwners[ph]
		if ph == "build" || ph == "upload" || ph == "compress" || ph == "push" {
			owner = "split below"
		}
		add("**"+ph+"**", owner, func(run profiles, _ int) (float64, bool) { return run.get("wall", ph, "-") }, cpuSum(ph))
		if owner != "split below" {
			continue
		}
		parts := append(union(runs, "wall", ph, "-"), union(runs, "cpu", ph, "")...)
		for _, part := range orderParts(parts) {
			add("· "+part, ownerOf(runs, ph, part),
				func(run profiles, _ int) (float64, bool) { return run.get("wall", ph, part) },
				func(run profiles, _ int) (float64, bool) { return run.get("cpu", ph, part) })
		}
	}
	add(totalLabel, "", func(run profiles, _ int) (float64, bool) { return run.get("wall", "total", "-") }, func(run profiles, _ int) (float64, bool) {
		c := run.cpuOf("")
		return c, c > 0
	})
	add("total of the timed runs (median, not profiled)", "", func(_ profiles, i int) (float64, bool) {
		m, _, _, n := r.wall(key{nets[i], wl, toolPlugin})
		return m, n > 0
	}, nil)
	add("CPU in no phase: GC workers, runtime", split.OwnGo, nil, func(run profiles, _ int) (float64, bool) {
		c, _ := run.get("cpu", "-", split.PartProfiler)
		c = run.cpuOf("-") - c
		return c, c > 0
	})
	add("the profiler's own CPU (wall-clock sampling)", "–", nil, func(run profiles, _ int) (float64, bool) {
		return run.get("cpu", "-", split.PartProfiler)
	})
	med := func(tool string) func(profiles, int) (float64, bool) {
		return func(_ profiles, i int) (float64, bool) {
			m, _, _, n := r.wall(key{nets[i], floorOf, tool})
			return m, n > 0
		}
	}
	add("floor: tar (`tar -c`)", split.OwnFloor, med("tar"), nil)
	add("floor: gzip (Go, level 1)", split.OwnFloor, med("gogzip"), nil)
	add("floor: upload (go-containerregistry push)", split.OwnFloor, func(_ profiles, i int) (float64, bool) {
		f := r.fastest(nets[i], floorOf, toolPush, toolPushH1)
		return f, f > 0
	}, nil)
	return rows
}

// union is, in the order they first appear in the runs, the phases (kind
// "wall", phase "") or the parts of a phase of the given kind; skip is a
// name to leave out.
func union(runs []profiles, kind, phase, skip string) []string {
	var out []string
	for _, run := range runs {
		for _, r := range run {
			name := r.part
			if phase == "" {
				name = r.phase
			}
			if r.kind == kind && (phase == "" || r.phase == phase) && name != skip && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// partOrder is the order of the rows: a run's steps as they happen, then
// GC, the runtime and "other", so the rows of every net line up.
var partOrder = []string{"settings and front end", "auth", "unpack the base image", "cache key",
	"copy into the root", "snapshot walk", "snapshot hashing", "snapshot tar", "digest pass",
	"diff id (sha256 of the tar)", "kaniko, other", "build, ours", "push: compress", "push: upload",
	"push, other", "read-back", "provenance", "outputs", "tarball", split.PartOutside, split.PartGC, split.PartProfiler, split.PartRuntime, split.PartOther}

// orderParts sorts parts by partOrder; parts it does not list come last.
func orderParts(parts []string) []string {
	var out []string
	for _, o := range partOrder {
		if slices.Contains(parts, o) {
			out = append(out, o)
		}
	}
	for _, p := range parts {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func ownerOf(runs []profiles, phase, part string) string {
	for _, run := range runs {
		for _, r := range run {
			if r.phase == phase && r.part == part {
				return r.owner
			}
		}
	}
	return "–"
}

// netShort names a net in a column header.
var netShort = map[string]string{"direct": "loopback", "delay": "proxy {rtt}"}

// renderWhere writes "Where the time goes": for (b), (c) and (f), the
// profiled run's phases and, within the build and the push, their parts,
// per net, with the floor's parts below.
func renderWhere(w io.Writer, p profiles, r results, m meta, nets []string) {
	var have []string
	for _, n := range nets {
		for _, wl := range []string{"b", "c", "f"} {
			if len(p.of(n, wl)) > 0 && !slices.Contains(have, n) {
				have = append(have, n)
			}
		}
	}
	if len(have) == 0 {
		return
	}
	fmt.Fprint(w, whereIntro)
	for _, wl := range workloads {
		if wl.id != "b" && wl.id != "c" && wl.id != "f" {
			continue
		}
		if rows := whereRows(p, r, wl.id, wl.floorOf, have); len(rows) > 0 {
			renderWhereTable(w, m, m.describe(wl.desc), have, rows)
		}
	}
}

const whereIntro = `### Where the time goes

One more kaniko-ecr run per workload and network after the timed ones, not counted in them, with
` + "`KANIKO_ECR_PROFILE`" + ` set: the plugin times its phases and records a CPU profile, whose samples
carry the phase they ran in, and a wall-clock profile (every goroutine's stack every 10 ms);
` + "`benchtool profile`" + ` puts each sample in one part by the functions on its stack (the rules are
under "Profiles" below). Wall is elapsed time, CPU is processor time. kaniko's build steps run one
after another on one goroutine, so the build's parts are that goroutine's wall time (on CPU or
waiting: disk, network) and add up to the build's; "outside kaniko" is the build phase's own
work before and after kaniko. The push compresses on several cores while it uploads, so its parts
are CPU time only and can add up to more than its wall time. Shares are of the run's total wall
time. Owners: ours (kaniko-ecr's own code), kaniko's (its build steps, the digest pass among them:
kaniko compresses every layer it makes to learn its digest, and with compressed caching off keeps
none of those bytes), the floor's (what any builder must do: tar, one compression, the upload; the
push's compression on every core is that one; the floor rows at the bottom are the floor's own
times, with Go's single-core gzip).
One profiled run per cell: a sample, not a median.

`

func renderWhereTable(w io.Writer, m meta, title string, nets []string, rows []whereRow) {
	pr := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	pr("#### %s\n\n| Part | Owner |", title)
	for _, n := range nets {
		name := strings.ReplaceAll(netShort[n], "{rtt}", m.get("rtt", "20ms"))
		if name == "" {
			name = n
		}
		pr(" %s: wall | CPU | share |", name)
	}
	pr("\n|---|---|%s\n", strings.Repeat("---:|---:|---:|", len(nets)))
	total := make([]cell, len(nets))
	for _, row := range rows {
		if row.label == totalLabel {
			total = row.wall
		}
	}
	s := func(c cell) string {
		if !c.ok {
			return "–"
		}
		return fmt.Sprintf("%.2f s", c.v)
	}
	for _, row := range rows {
		pr("| %s | %s |", row.label, row.owner)
		for i := range nets {
			share := "–"
			if row.wall[i].ok && total[i].ok && total[i].v > 0 {
				share = fmt.Sprintf("%.0f%%", 100*row.wall[i].v/total[i].v)
			}
			pr(" %s | %s | %s |", s(row.wall[i]), s(row.cpu[i]), share)
		}
		pr("\n")
	}
	pr("\n")
}
