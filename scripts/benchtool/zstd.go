package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// sizes holds the compressed size each run pushed, in bytes.
type sizes map[key][]float64

// parseSizes reads "net workload tool run bytes" lines; warm-up runs
// (run 0) are left out, as for the timings.
func parseSizes(r io.Reader) (sizes, error) {
	out := sizes{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 5 {
			return nil, fmt.Errorf("line %d: want 5 tab-separated fields (net workload tool run bytes), got %d", line, len(f))
		}
		n, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: size %q: %w", line, f[4], err)
		}
		if f[3] != "0" {
			k := key{f[0], f[1], f[2]}
			out[k] = append(out[k], n)
		}
	}
	return out, sc.Err()
}

func (s sizes) median(k key) float64 { return median(s[k]) }

// renderZstd compares kaniko-ecr's default gzip with PLUGIN_COMPRESSION=zstd
// on the workloads that were also run with zstd: time, CPU and the size
// pushed.
func renderZstd(w io.Writer, r results, s sizes, m meta, net string) {
	var rows []string
	for _, wl := range workloads {
		gk, zk := key{net, wl.id, toolPlugin}, key{net, wl.id, toolZstd}
		gm, _, _, gn := r.wall(gk)
		zm, lo, hi, zn := r.wall(zk)
		if gn == 0 || zn == 0 {
			continue
		}
		gs, zs := s.median(gk), s.median(zk)
		rows = append(rows, fmt.Sprintf("| %s | %s | %s [%.2f–%.2f] | %s | %s | %s | %s | %s |", m.describe(wl.desc),
			secs(gm), secs(zm), lo, hi, ratio(zm, gm), ratio(r.cpu(zk), r.cpu(gk)),
			mb(gs), mb(zs), ratio(zs, gs)))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "kaniko-ecr with `PLUGIN_COMPRESSION=zstd` (level 1) against its default gzip -1; size is what the push sent (layers, config, manifest):\n\n")
	fmt.Fprintf(w, "| Workload | gzip | zstd | zstd/gzip | CPU ratio | pushed gzip | pushed zstd | size ratio |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|\n%s\n\n", strings.Join(rows, "\n"))
}

func mb(bytes float64) string {
	if bytes == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MB", bytes/1e6)
}
