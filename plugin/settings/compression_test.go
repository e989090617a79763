package settings

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompressionAndLevelReachThePlan(t *testing.T) {
	dir := workspace(t)
	for _, tc := range []struct {
		name      string
		env       map[string]string
		want      string
		wantLevel int
	}{
		{"unset: gzip at the compressor's default", nil, "gzip", 0},
		{"empty, as a step may send it: gzip", map[string]string{"PLUGIN_COMPRESSION": "", "PLUGIN_COMPRESSION_LEVEL": ""}, "gzip", 0},
		{"gzip", map[string]string{"PLUGIN_COMPRESSION": "gzip"}, "gzip", 0},
		{"zstd", map[string]string{"PLUGIN_COMPRESSION": "zstd"}, "zstd", 0},
		{"any case, lower-cased", map[string]string{"PLUGIN_COMPRESSION": " GZIP "}, "gzip", 0},
		{"ZStd", map[string]string{"PLUGIN_COMPRESSION": "ZStd"}, "zstd", 0},
		{"gzip's lowest level", map[string]string{"PLUGIN_COMPRESSION": "gzip", "PLUGIN_COMPRESSION_LEVEL": "1"}, "gzip", 1},
		{"gzip's highest level", map[string]string{"PLUGIN_COMPRESSION": "gzip", "PLUGIN_COMPRESSION_LEVEL": "9"}, "gzip", 9},
		{"a level alone is gzip's", map[string]string{"PLUGIN_COMPRESSION_LEVEL": " 6 "}, "gzip", 6},
		{"zstd's lowest level", map[string]string{"PLUGIN_COMPRESSION": "zstd", "PLUGIN_COMPRESSION_LEVEL": "1"}, "zstd", 1},
		{"-1, kaniko's own default, is the default", map[string]string{"PLUGIN_COMPRESSION_LEVEL": "-1"}, "gzip", 0},
		{"zstd's highest level", map[string]string{"PLUGIN_COMPRESSION": "zstd", "PLUGIN_COMPRESSION_LEVEL": "22"}, "zstd", 22},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app"}
			for k, v := range tc.env {
				env[k] = v
			}
			p, err := validate(t, dir, env)
			if err != nil {
				t.Fatal(err)
			}
			if p.Kaniko.Compression != tc.want || p.Kaniko.CompressionLevel != tc.wantLevel {
				t.Errorf("compression %q level %d, want %q level %d", p.Kaniko.Compression, p.Kaniko.CompressionLevel, tc.want, tc.wantLevel)
			}
		})
	}
}

func TestCompressionAndLevelOutsideWhatKanikoTakesAreRefused(t *testing.T) {
	dir := workspace(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // the whole report, one line each
	}{
		{"level 0 is not a level to set", map[string]string{"PLUGIN_COMPRESSION_LEVEL": "0"},
			[]string{"PLUGIN_COMPRESSION_LEVEL: 0 is outside gzip's levels 1-9"}},
		{"negative level other than kaniko's -1", map[string]string{"PLUGIN_COMPRESSION_LEVEL": "-2"},
			[]string{"PLUGIN_COMPRESSION_LEVEL: -2 is outside gzip's levels 1-9"}},
		{"gzip above 9", map[string]string{"PLUGIN_COMPRESSION": "gzip", "PLUGIN_COMPRESSION_LEVEL": "10"},
			[]string{"PLUGIN_COMPRESSION_LEVEL: 10 is outside gzip's levels 1-9"}},
		{"a zstd level for gzip", map[string]string{"PLUGIN_COMPRESSION_LEVEL": "12"},
			[]string{"PLUGIN_COMPRESSION_LEVEL: 12 is outside gzip's levels 1-9"}},
		{"zstd above 22", map[string]string{"PLUGIN_COMPRESSION": "zstd", "PLUGIN_COMPRESSION_LEVEL": "23"},
			[]string{"PLUGIN_COMPRESSION_LEVEL: 23 is outside zstd's levels 1-22"}},
		{"zstd at 0", map[string]string{"PLUGIN_COMPRESSION": "ZSTD", "PLUGIN_COMPRESSION_LEVEL": "0"},
			[]string{"PLUGIN_COMPRESSION_LEVEL: 0 is outside zstd's levels 1-22"}},
		{"unknown compression", map[string]string{"PLUGIN_COMPRESSION": "brotli"},
			[]string{`PLUGIN_COMPRESSION: "brotli" is not a compression (want gzip or zstd)`}},
		{"unknown compression: its level is not judged", map[string]string{"PLUGIN_COMPRESSION": "brotli", "PLUGIN_COMPRESSION_LEVEL": "30"},
			[]string{`PLUGIN_COMPRESSION: "brotli" is not a compression (want gzip or zstd)`}},
		{"non-integer level", map[string]string{"PLUGIN_COMPRESSION_LEVEL": "1.5"},
			[]string{`PLUGIN_COMPRESSION_LEVEL: "1.5" is not a whole number`}},
		{"a word for a level", map[string]string{"PLUGIN_COMPRESSION": "zstd", "PLUGIN_COMPRESSION_LEVEL": "best"},
			[]string{`PLUGIN_COMPRESSION_LEVEL: "best" is not a whole number`}},
		{"both wrong: both reported at once", map[string]string{"PLUGIN_COMPRESSION": "lz4", "PLUGIN_COMPRESSION_LEVEL": "x"},
			[]string{`PLUGIN_COMPRESSION: "lz4" is not a compression (want gzip or zstd)`, `PLUGIN_COMPRESSION_LEVEL: "x" is not a whole number`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PLUGIN_REGISTRY": testRegistry, "PLUGIN_REPO": "team/app"}
			for k, v := range tc.env {
				env[k] = v
			}
			_, err := validate(t, dir, env)
			ve := wantProblems(t, err, tc.want)
			if d := cmp.Diff(tc.want, ve.Problems); d != "" {
				t.Errorf("problems (-want +got):\n%s", d)
			}
		})
	}
}
