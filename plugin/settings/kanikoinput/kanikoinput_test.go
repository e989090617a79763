package kanikoinput

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRegistryNamesHostsAsKanikosPerRegistryFlags(t *testing.T) {
	for _, tc := range []struct {
		in, want, wantErr string
	}{
		{in: "mirror.local:5000", want: "mirror.local:5000"},
		{in: " https://r.example/v2/ ", want: "r.example"},
		{in: "http://docker.io", want: "index.docker.io"},
		{in: "Registry-1.Docker.io", want: "index.docker.io"},
		{in: "", wantErr: `"" is not a registry host`},
		{in: "https://", wantErr: `"https://" is not a registry host`},
		{in: "a b", wantErr: `"a b" is not a registry host`},
		{in: "r.example\n/v2", wantErr: `"r.example\n/v2" is not a registry host`},
	} {
		got, err := Registry(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("Registry(%q) = %q, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Registry(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMirrorDropsTheSchemeAndTrailingSlashButKeepsThePath(t *testing.T) {
	for in, want := range map[string]string{
		"mirror.gcr.io":                      "mirror.gcr.io",
		"https://mirror.example/hub/":        "mirror.example/hub",
		"http://mirror.local:5000/dockerhub": "mirror.local:5000/dockerhub",
		"mirror.example/hub//":               "mirror.example/hub",
	} {
		if got, err := Mirror(in); err != nil || got != want {
			t.Errorf("Mirror(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "https://", "/", "//", "https:///hub", "a b", "mirror.example/\x00"} {
		if got, err := Mirror(in); err == nil {
			t.Errorf("Mirror(%q) = %q, want an error", in, got)
		}
	}
}

func TestIgnorePathWantsAnAbsolutePath(t *testing.T) {
	if got, err := IgnorePath("/var/cache/../log/"); err != nil || got != "/var/log" {
		t.Errorf("IgnorePath = %q, %v; want /var/log", got, err)
	}
	if _, err := IgnorePath("var/cache"); err == nil || err.Error() != `"var/cache" is not an absolute path` {
		t.Errorf("relative path: err = %v", err)
	}
}

// certDir is a workspace with a certificate, a key and a folder.
func certDir(t *testing.T) Dir {
	t.Helper()
	ws := t.TempDir()
	for _, f := range []string{"r.pem", "client.crt", "client.key"} {
		if err := os.WriteFile(filepath.Join(ws, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(ws, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return Dir(ws)
}

func TestCertificateResolvesItsPathInTheWorkspace(t *testing.T) {
	d := certDir(t)
	for _, tc := range []struct {
		name, item, host, path, wantErr string
	}{
		{name: "relative", item: "r.example=r.pem", host: "r.example", path: filepath.Join(string(d), "r.pem")},
		{name: "absolute, host with scheme", item: "https://r.example:5000= " + filepath.Join(string(d), "r.pem"), host: "r.example:5000", path: filepath.Join(string(d), "r.pem")},
		{name: "no path", item: "r.example=", wantErr: `"r.example=" wants host=path`},
		{name: "no equals sign", item: "r.pem", wantErr: `"r.pem" wants host=path`},
		{name: "missing file", item: "r.example=certs/r.pem", wantErr: `certificate "certs/r.pem" for r.example not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, path, err := d.Certificate(tc.item)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || host != tc.host || path != tc.path {
				t.Errorf("= %q, %q, %v; want %q, %q", host, path, err, tc.host, tc.path)
			}
		})
	}
}

func TestClientCertWantsAHostAndTwoFiles(t *testing.T) {
	d := certDir(t)
	host, files, err := d.ClientCert("docker.io=client.crt, " + filepath.Join(string(d), "client.key"))
	if want := filepath.Join(string(d), "client.crt") + "," + filepath.Join(string(d), "client.key"); err != nil || host != "index.docker.io" || files != want {
		t.Errorf("= %q, %q, %v; want index.docker.io, %q", host, files, err, want)
	}
	for _, item := range []string{"bare", "r.example=client.crt", "=client.crt,client.key", "r.example=client.crt,missing.key", "r.example=client.crt,certs", "a b=client.crt,client.key"} {
		if _, _, err := d.ClientCert(item); err == nil || !strings.Contains(err.Error(), "wants host=cert,key") {
			t.Errorf("ClientCert(%q): err = %v, want host=cert,key", item, err)
		}
	}
}

func FuzzRegistry(f *testing.F) {
	for _, s := range []string{"r.example:5000", "https://docker.io/library", " ", "a b", "http://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Registry(s)
		if err != nil {
			return
		}
		if h == "" || strings.ContainsFunc(h, notInHost) || strings.Contains(h, "/") {
			t.Fatalf("Registry(%q) = %q: not a host", s, h)
		}
		if again, err := Registry(h); err != nil || again != h {
			t.Fatalf("Registry(%q) = %q, but Registry(%q) = %q, %v", s, h, h, again, err)
		}
	})
}

func TestCompressionIsGzipOrZstdInLowerCase(t *testing.T) {
	for in, want := range map[string]string{"": "gzip", " ": "gzip", "gzip": "gzip", "GZIP": "gzip", " zstd ": "zstd", "ZStd": "zstd"} {
		if got, err := Compression(in); err != nil || got != want {
			t.Errorf("Compression(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, wantErr := range map[string]string{
		"brotli": `"brotli" is not a compression (want gzip or zstd)`,
		"gz":     `"gz" is not a compression (want gzip or zstd)`,
		"zstd:1": `"zstd:1" is not a compression (want gzip or zstd)`,
	} {
		if got, err := Compression(in); err == nil || err.Error() != wantErr {
			t.Errorf("Compression(%q) = %q, %v; want error %q", in, got, err, wantErr)
		}
	}
}

func TestLevelIsWithinTheCompressorsRange(t *testing.T) {
	for _, tc := range []struct {
		compression string
		level       int
		wantErr     string
	}{
		{"gzip", 1, ""},
		{"gzip", 9, ""},
		{"zstd", 1, ""},
		{"zstd", 22, ""},
		{"gzip", 0, "0 is outside gzip's levels 1-9"},
		{"gzip", -1, "-1 is outside gzip's levels 1-9"},
		{"gzip", 10, "10 is outside gzip's levels 1-9"},
		{"gzip", 12, "12 is outside gzip's levels 1-9"},
		{"zstd", 0, "0 is outside zstd's levels 1-22"},
		{"zstd", 23, "23 is outside zstd's levels 1-22"},
		{"brotli", 5, `"brotli" is not a compression`},
	} {
		err := Level(tc.compression, tc.level)
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Level(%q, %d) = %v; want %q", tc.compression, tc.level, err, tc.wantErr)
		}
	}
}

// Whatever the text, Compression gives gzip or zstd or an error, and a
// level is accepted exactly within that compressor's range.
func FuzzCompression(f *testing.F) {
	f.Add("gzip", 1)
	f.Add("ZSTD", 22)
	f.Add("", 0)
	f.Add("brotli", 5)
	f.Add("zstd ", -1)
	f.Fuzz(func(t *testing.T, s string, level int) {
		c, err := Compression(s)
		if err != nil {
			if !strings.Contains(err.Error(), "want gzip or zstd") {
				t.Fatalf("Compression(%q): %v", s, err)
			}
			return
		}
		hi := map[string]int{"gzip": 9, "zstd": 22}[c]
		if hi == 0 {
			t.Fatalf("Compression(%q) = %q", s, c)
		}
		if err := Level(c, level); (err == nil) != (level >= 1 && level <= hi) {
			t.Fatalf("Level(%q, %d) = %v", c, level, err)
		}
	})
}

func TestRegistryMappingKeysTheRegistryAsReferencesNameIt(t *testing.T) {
	for _, tc := range []struct {
		in, from string
		to       []string
		err      string
	}{
		{"gcr.io=mirror.example/gcr", "gcr.io", []string{"mirror.example/gcr"}, ""},
		{"docker.io=https://a.example/hub/;b.example", "index.docker.io", []string{"a.example/hub", "b.example"}, ""},
		{" quay.io = q.example ", "quay.io", []string{"q.example"}, ""},
		{"gcr.io", "", nil, `"gcr.io" wants registry=mirror`},
		{"=m.example", "", nil, "wants registry=mirror"},
		{"gcr.io=", "", nil, `"" is not a registry host`},
		{"gcr.io=a;;b", "", nil, `"" is not a registry host`},
		{"bad host=m.example", "", nil, "is not a registry host"},
		{"\u009b=m.example", "", nil, "is not a registry host"},
	} {
		from, to, err := RegistryMapping(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("RegistryMapping(%q): err %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || from != tc.from || !slices.Equal(to, tc.to)):
			t.Errorf("RegistryMapping(%q) = %q, %q, %v; want %q, %q", tc.in, from, to, err, tc.from, tc.to)
		}
	}
}

func FuzzRegistryMapping(f *testing.F) {
	for _, s := range []string{"gcr.io=m.example/gcr", "docker.io=a;b", "=", "x=y=z", "a b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := RegistryMapping(s)
		if err != nil {
			return
		}
		if from == "" || strings.ContainsFunc(from, notInHost) || len(to) == 0 {
			t.Fatalf("RegistryMapping(%q) = %q, %q", s, from, to)
		}
		for _, m := range to {
			if again, err := Mirror(m); err != nil || again != m {
				t.Fatalf("RegistryMapping(%q): mirror %q is not as Mirror reads it (%q, %v)", s, m, again, err)
			}
		}
	})
}
