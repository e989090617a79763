package main

import (
	"strings"
	"testing"
)

const sampleResults = `# net	workload	tool	run	wall	rss	cpu
direct	a	plugin	0	9.00	100	9
direct	a	plugin	1	1.00	1000	0.5
direct	a	plugin	2	1.20	3000	0.7
direct	a	plugin	3	1.10	2000	0.6
direct	a	executor	0	9.00	100	9
direct	a	executor	1	2.00	4000	1.0
direct	a	executor	2	2.40	4000	1.4
direct	b	plugin	1	10.00	2048
direct	b	executor	1	12.00	4096
direct	b	executor-nocc	1	8.00	1024	4
direct	b	tar-gzip	1	3.00	0
direct	b	tar-gogzip	1	2.00	0
direct	b	push	1	1.50	0
direct	b	push-h1	1	1.75	0
`

func TestReportMediansRatiosAndFloor(t *testing.T) {
	res, err := parseResults(strings.NewReader(sampleResults))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res[key{"direct", "a", toolPlugin}]); got != 3 {
		t.Fatalf("plugin runs of (a): got %d, want 3 (the warm-up left out)", got)
	}
	if m, _, _, _ := res.wall(key{"direct", "a", toolExecutor}); m != 2.2 {
		t.Errorf("median of two runs: got %v, want 2.2", m)
	}
	if f := res.floor("direct", "b"); f != 3.5 {
		t.Errorf("floor: got %v, want 3.5 (the faster gzip, 2.00, plus the faster push, 1.50)", f)
	}

	var b strings.Builder
	render(&b, res, meta{"nets": "direct", "runs": "3"}, nil, nil)
	out := b.String()
	for _, want := range []string{
		"| (a) small app: 3 stages, 6 files | 1.10 s [1.00–1.20] | 2.20 s [2.00–2.40] | 0.50× | ≤ 1.00: yes | 0.50× | 2 MiB | 4 MiB | 0.50× | – | – |",
		"| 10.00 s [10.00–10.00] | 12.00 s [12.00–12.00] | 0.83× | ≤ 0.85: yes | – | 2 MiB | 4 MiB | 0.50× | 3.50 s | 2.86× |",
		"| (b) | 3.00 s | 2.00 s | 1.50 s | 1.75 s | 3.50 s | 2.86× | 3.43× |",
		"| 10.00 s | 8.00 s [8.00–8.00] | 1.25× | – | 1 MiB | 2.00× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestParseResultsRejectsShortLines(t *testing.T) {
	if _, err := parseResults(strings.NewReader("direct\ta\tplugin\t1\t1.0\n")); err == nil {
		t.Fatal("want an error for a line with 5 fields")
	}
}

func TestSpliceKeepsHandWrittenText(t *testing.T) {
	doc := "# Benchmarks\n\nintro\n\n" + beginMarker + "\nold\n" + endMarker + "\n\n## Notes\nkept\n"
	got := splice(doc, beginMarker+"\nnew\n"+endMarker+"\n")
	want := "# Benchmarks\n\nintro\n\n" + beginMarker + "\nnew\n" + endMarker + "\n\n## Notes\nkept\n"
	if got != want {
		t.Errorf("splice:\n got %q\nwant %q", got, want)
	}
	if got := splice("", "gen\n"); got != "gen\n" {
		t.Errorf("splice into nothing: got %q", got)
	}
}

func TestGroupThousands(t *testing.T) {
	for in, want := range map[string]string{"20000": "20,000", "500": "500", "1234567": "1,234,567"} {
		if got := groupThousands(in); got != want {
			t.Errorf("groupThousands(%s) = %s, want %s", in, got, want)
		}
	}
}

const sampleProfiles = `# net	workload	kind	phase	part	owner	seconds
direct	b	wall	settings	-	-	0.010
direct	b	wall	build	-	-	8.000
direct	b	wall	push	-	-	1.000
direct	b	wall	verify	-	-	0.010
direct	b	wall	total	-	-	10.000
direct	b	wall	build	copy into the root	kaniko's	5.000
direct	b	wall	build	digest pass	floor's	2.500
direct	b	wall	build	build, outside kaniko	ours	0.500
direct	b	cpu	-	GC	Go runtime	0.200
direct	b	cpu	-	profiler	–	0.050
direct	b	cpu	build	copy into the root	kaniko's	4.000
direct	b	cpu	build	digest pass	floor's	2.000
direct	b	cpu	push	push: compress	ours	1.500
direct	b	cpu	push	push: upload	floor's	0.100
delay	b	wall	build	-	-	8.500
delay	b	wall	push	-	-	2.000
delay	b	wall	total	-	-	11.000
delay	b	cpu	build	copy into the root	kaniko's	4.100
delay	b	cpu	push	push: upload	floor's	0.300
`

const sampleFloorParts = `direct	b	tar	1	0.50	0
direct	b	gogzip	1	2.00	0
delay	b	tar	1	0.50	0
delay	b	gogzip	1	2.00	0
delay	b	push	1	3.00	0
`

// "Where the time goes": phases in wall time, the build's and the push's
// parts in CPU time with their owners, what was off CPU, per net, and the
// floor's parts below; workloads without a profile get no table.
func TestReportSplitsTheProfiledRunIntoParts(t *testing.T) {
	res, err := parseResults(strings.NewReader(sampleResults + sampleFloorParts))
	if err != nil {
		t.Fatal(err)
	}
	prof, err := parseProfiles(strings.NewReader(sampleProfiles))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	render(&b, res, meta{"nets": "direct delay", "runs": "1", "rtt": "20ms"}, prof, nil)
	out := b.String()
	missing := false
	for _, want := range []string{
		"### Where the time goes",
		"#### (b) 20,000 files, 200 MB, one COPY (redo)\n\n| Part | Owner | loopback: wall | CPU | share | proxy 20ms: wall | CPU | share |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
		"| **build** | split below | 8.00 s | 6.00 s | 80% | 8.50 s | 4.10 s | 77% |\n" +
			"| · copy into the root | kaniko's | 5.00 s | 4.00 s | 50% | – | 4.10 s | – |\n" +
			"| · digest pass | floor's | 2.50 s | 2.00 s | 25% | – | – | – |\n" +
			"| · build, outside kaniko | ours | 0.50 s | – | 5% | – | – | – |\n" +
			"| **push** | split below | 1.00 s | 1.60 s | 10% | 2.00 s | 0.30 s | 18% |\n" +
			"| · push: compress | ours | – | 1.50 s | – | – | – | – |\n" +
			"| · push: upload | floor's | – | 0.10 s | – | – | 0.30 s | – |\n" +
			"| **verify** | ours | 0.01 s | – | 0% | – | – | – |\n" +
			"| **total** |  | 10.00 s | 7.85 s | 100% | 11.00 s | 4.40 s | 100% |\n" +
			"| total of the timed runs (median, not profiled) |  | 10.00 s | – | 100% | – | – | – |\n" +
			"| CPU in no phase: GC workers, runtime | Go runtime | – | 0.20 s | – | – | – | – |\n" +
			"| the profiler's own CPU (wall-clock sampling) | – | – | 0.05 s | – | – | – | – |\n" +
			"| floor: tar (`tar -c`) | floor's | 0.50 s | – | 5% | 0.50 s | – | 5% |\n" +
			"| floor: gzip (Go, level 1) | floor's | 2.00 s | – | 20% | 2.00 s | – | 18% |\n" +
			"| floor: upload (go-containerregistry push) | floor's | 1.50 s | – | 15% | 3.00 s | – | 27% |\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
			missing = true
		}
	}
	if missing {
		t.Logf("report:\n%s", out)
	}
	if strings.Contains(out, "#### (c)") || strings.Contains(out, "#### (f)") {
		t.Errorf("a table for a workload without a profile:\n%s", out)
	}
	if i, j := strings.Index(out, "### Where the time goes"), strings.Index(out, endMarker); i < 0 || j < i {
		t.Error("the section is not inside the markers")
	}
	if _, err := parseProfiles(strings.NewReader("direct\tb\twall\tbuild\t-\t-\n")); err == nil {
		t.Error("want an error for a line with 6 fields")
	}
}

func TestZstdTableComparesTimeCPUAndPushedSize(t *testing.T) {
	res, err := parseResults(strings.NewReader("direct\tc\tplugin\t0\t9\t1\t9\n" +
		"direct\tc\tplugin\t1\t4.00\t1024\t6\ndirect\tc\tplugin-zstd\t1\t3.00\t1024\t3\n"))
	if err != nil {
		t.Fatal(err)
	}
	sz, err := parseSizes(strings.NewReader("# net\tworkload\ttool\trun\tbytes\n" +
		"direct\tc\tplugin\t0\t1\ndirect\tc\tplugin\t1\t300000000\ndirect\tc\tplugin-zstd\t1\t240000000\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	render(&b, res, meta{"nets": "direct", "runs": "1", "big_mb": "300"}, nil, sz)
	want := "| (c) one 300 MB file (redo) | 4.00 s | 3.00 s [3.00–3.00] | 0.75× | 0.50× | 300.0 MB | 240.0 MB | 0.80× |"
	if !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
	if _, err := parseSizes(strings.NewReader("direct\tc\tplugin\t1\n")); err == nil {
		t.Error("a line without its size was accepted")
	}
}
