package docker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestWriteCreatesPrivateDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", ".docker")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.SetAuth("https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", "tok")
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "config.json"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestSetAuthKeepsOtherRegistriesAndKeys(t *testing.T) {
	dir := t.TempDir()
	orig := `{"auths":{"other.example.com":{"auth":"b3RoZXI6cHc=","identitytoken":"x"}},"credHelpers":{"127.0.0.1:5000":"ecr-login","gcr.io":"gcloud"},"psFormat":"table"}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.SetAuth("127.0.0.1:5000", "AWS", "secret")
	if err := c.Write(dir); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"auths": map[string]any{
			"other.example.com": map[string]any{"auth": "b3RoZXI6cHc=", "identitytoken": "x"},
			"127.0.0.1:5000":    map[string]any{"auth": "QVdTOnNlY3JldA=="},
		},
		// The helper for our host would shadow the token: it is dropped.
		"credHelpers": map[string]any{"gcr.io": "gcloud"},
		"psFormat":    "table",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
}

func TestKeychainResolvesWrittenCredentials(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dir)
	c, _ := Load(Dir())
	c.SetAuth("https://127.0.0.1:5443", "AWS", "tok3n")
	c.SetAuth("https://index.docker.io/v1/", "hubuser", "hubpw")
	if err := c.Write(Dir()); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]authn.AuthConfig{
		"127.0.0.1:5443/app:1":  {Username: "AWS", Password: "tok3n"},
		"docker.io/library/x:1": {Username: "hubuser", Password: "hubpw"},
	} {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		a, err := authn.DefaultKeychain.Resolve(r.Context())
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != want.Username || got.Password != want.Password {
			t.Errorf("%s: got %s/%s", ref, got.Username, got.Password)
		}
	}
}

func TestNormalizeHostFoldsDockerHubAndDropsScheme(t *testing.T) {
	for in, want := range map[string]string{
		"https://index.docker.io/v1/":        dockerHubKey,
		"https://index.docker.io/v2/":        dockerHubKey,
		"docker.io":                          dockerHubKey,
		"registry-1.docker.io":               dockerHubKey,
		"https://1.dkr.ecr.x.amazonaws.com/": "1.dkr.ecr.x.amazonaws.com",
		"127.0.0.1:5000":                     "127.0.0.1:5000",
		"http://host:1/path":                 "host:1",
	} {
		if got := NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadRejectsBrokenJSON(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{"), 0o600)
	if _, err := Load(dir); err == nil {
		t.Fatal("want an error")
	}
}

func FuzzDecodeAuthRoundTrip(f *testing.F) {
	f.Add("AWS", "token:with:colons")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, user, pass string) {
		c := &Config{Auths: map[string]Auth{}}
		c.SetAuth("h", user, pass)
		u, p, err := DecodeAuth(c.Auths["h"].Auth)
		if (user == "" || pass == "") && !strings.Contains(user, ":") {
			if err == nil {
				t.Fatalf("DecodeAuth accepted an empty part of %q:%q", user, pass)
			}
			return
		}
		// A user name with a colon is ambiguous in this encoding, as in docker's.
		if !strings.Contains(user, ":") && (err != nil || u != user || p != pass) {
			t.Fatalf("round trip of %q:%q gave %q:%q, %v", user, pass, u, p, err)
		}
	})
}
