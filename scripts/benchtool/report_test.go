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
	render(&b, res, meta{"nets": "direct", "runs": "3"})
	out := b.String()
	for _, want := range []string{
		"| (a) small app: 3 stages, 6 files | 1.10 s [1.00–1.20] | 2.20 s [2.00–2.40] | 0.50× | ≤ 1.00: yes | 0.50× | 2 MiB | 4 MiB | 0.50× | – | – |",
		"| 10.00 s [10.00–10.00] | 12.00 s [12.00–12.00] | 0.83× | ≤ 1.00: yes | – | 2 MiB | 4 MiB | 0.50× | 3.50 s | 2.86× |",
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
