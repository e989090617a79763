package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
)

// copyStep registers a copy step; the server must start after.
func (f *fixture) copyStep(id string, st dockerfile.Step) string {
	f.t.Helper()
	st.Kind = "copy"
	return f.add(id, st)
}

// serve plays the client of a copy step to the end.
func serve(file string) error {
	c, _, err := dial(file)
	if err != nil {
		return err
	}
	defer c.close()
	return c.finish()
}

func TestCopyHeredocExpandsVariablesOnlyWhenAskedAndLeavesQuotes(t *testing.T) {
	f := newFixture(t)
	f.env = []string{"NAME=world", "DEST=/out"}
	body := "echo \"$NAME\" '$NAME' \\$NAME ${UNSET:-dflt}\n"
	file := f.copyStep("c", dockerfile.Step{Dest: "$DEST/", Heredocs: []dockerfile.Heredoc{
		{Name: "expanded", Data: body, Expand: true},
		{Name: "quoted", Data: body},
	}})
	f.start()
	if err := serve(file); err != nil {
		t.Fatal(err)
	}
	if got, want := mustRead(t, f.in("/out/expanded")), "echo \"world\" 'world' $NAME dflt\n"; got != want {
		t.Errorf("expanded heredoc is %q, want %q", got, want)
	}
	if got := mustRead(t, f.in("/out/quoted")); got != body {
		t.Errorf("quoted heredoc is %q", got)
	}
	for _, p := range []string{"/out/expanded", "/out"} {
		mode, uid, gid := stat(t, f.in(p))
		if want := map[string]uint32{"/out": 0o755}[p]; want == 0 && mode != 0o644 || want != 0 && mode != want || uid != 0 || gid != 0 {
			t.Errorf("%s is %o %d:%d", p, mode, uid, gid)
		}
	}
}

func TestCopyHeredocAppliesChmodAndChownByIDOrName(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, f.in("/etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n", 0o644)
	mustWrite(t, f.in("/etc/group"), "root:x:0:\nstaff:x:50:app\n", 0o644)
	f.env = []string{"WHO=app"}
	cases := []struct {
		chown, chmod string
		mode         uint32
		uid, gid     uint32
	}{
		{"", "", 0o644, 0, 0},
		{"$WHO", "4750", 0o4750, 1000, 1001},
		{"app:staff", "0600", 0o600, 1000, 50},
		{"1234", "", 0o644, 1234, 1234},
		{"app:7", "", 0o644, 1000, 7},
		{"root", "", 0o644, 0, 0},
	}
	var files []string
	for i, c := range cases {
		files = append(files, f.copyStep(string(rune('a'+i)), dockerfile.Step{
			Dest: "/files/" + string(rune('a'+i)), Chown: c.chown, Chmod: c.chmod,
			Heredocs: []dockerfile.Heredoc{{Name: "EOF", Data: "x\n"}},
		}))
	}
	bad := f.copyStep("bad", dockerfile.Step{Dest: "/x", Chown: "nobody", Heredocs: []dockerfile.Heredoc{{Name: "EOF"}}})
	f.start()
	for i, c := range cases {
		if err := serve(files[i]); err != nil {
			t.Errorf("--chown=%s --chmod=%s: %v", c.chown, c.chmod, err)
			continue
		}
		dest := f.in("/files/" + string(rune('a'+i)))
		if mode, uid, gid := stat(t, dest); mode != c.mode || uid != c.uid || gid != c.gid {
			t.Errorf("--chown=%s --chmod=%s: %o %d:%d, want %o %d:%d", c.chown, c.chmod, mode, uid, gid, c.mode, c.uid, c.gid)
		}
	}
	if err := serve(bad); err == nil || !strings.Contains(err.Error(), `no "nobody" in /etc/passwd`) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestCopyHeredocDestinationIsAFileADirectoryOrRelative(t *testing.T) {
	f := newFixture(t)
	mustMkdir(t, f.in("/existing"))
	if err := os.Symlink("/elsewhere", f.in("/existing/link")); err != nil {
		t.Fatal(err)
	}
	doc := []dockerfile.Heredoc{{Name: "link", Data: "content\n"}}
	cases := []struct{ dest, want string }{
		{"conf/app.conf", filepath.Join(f.work, "conf", "app.conf")},
		{".", filepath.Join(f.work, "link")},
		// An existing directory takes the heredoc's name; the symlink
		// there is replaced, not written through.
		{"/existing", f.in("/existing/link")},
	}
	var files []string
	for i, c := range cases {
		files = append(files, f.copyStep(string(rune('a'+i)), dockerfile.Step{Dest: c.dest, Heredocs: doc}))
	}
	f.start()
	for i, c := range cases {
		if err := serve(files[i]); err != nil {
			t.Errorf("%s: %v", c.dest, err)
			continue
		}
		if fi, err := os.Lstat(c.want); err != nil || !fi.Mode().IsRegular() || mustRead(t, c.want) != "content\n" {
			t.Errorf("COPY <<link %s did not write %s: %v", c.dest, c.want, err)
		}
	}
	if mode, _, _ := stat(t, filepath.Join(f.work, "conf")); mode != 0o755 {
		t.Errorf("new parent is %o", mode)
	}
	if _, err := os.Lstat(f.in("/elsewhere")); !os.IsNotExist(err) {
		t.Errorf("wrote through the symlink: %v", err)
	}
}

func TestAddChecksumWritesTheVerifiedDownloadAsADDDoes(t *testing.T) {
	const body = "tool bytes\n"
	modified := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Last-Modified", modified.Format(http.TimeFormat))
		io.WriteString(w, body)
	}))
	defer srv.Close()
	sum := sha256.Sum256([]byte(body))
	good := "sha256:" + hex.EncodeToString(sum[:])
	f := newFixture(t)
	f.env = []string{"DIR=/opt"}
	ok := f.add("good", dockerfile.Step{Kind: "add", URL: srv.URL + "/dl/tool.tar", Checksum: good, Dest: "$DIR/"})
	bad := f.add("bad", dockerfile.Step{Kind: "add", URL: srv.URL + "/dl/tool.tar", Checksum: "sha256:" + strings.Repeat("0", 64), Dest: "/bad/"})
	f.start()
	if err := serve(ok); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, f.in("/opt/tool.tar")); got != body {
		t.Errorf("downloaded %q", got)
	}
	if mode, uid, _ := stat(t, f.in("/opt/tool.tar")); mode != 0o600 || uid != 0 {
		t.Errorf("mode %o uid %d, want ADD's 0600 root", mode, uid)
	}
	if fi, err := os.Stat(f.in("/opt/tool.tar")); err != nil || !fi.ModTime().Equal(modified) {
		t.Errorf("mtime %v, want Last-Modified %v", fi.ModTime(), modified)
	}
	err := serve(bad)
	if err == nil || !strings.Contains(err.Error(), "ADD --checksum") || !strings.Contains(err.Error(), good) {
		t.Errorf("a mismatch gave %v, want the digest it has", err)
	}
	if _, err := os.Stat(f.in("/bad/tool.tar")); err == nil {
		t.Error("the unverified download was written")
	}
}
