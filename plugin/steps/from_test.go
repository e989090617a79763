package steps

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/fetch"
)

func stageIndex(i int) *int { return &i }

func TestAStageKeptAtItsEndIsBoundLaterWithItsOwnersAndLinks(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, f.in("/out/app"), "binary", 0o755)
	mustWrite(t, f.in("/etc/other"), "not kept", 0o644)
	if err := os.Symlink("/out/app", f.in("/out/latest")); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(f.in("/out/app"), 1000, 1000); err != nil {
		t.Skipf("needs root: %v", err)
	}
	keep := f.add("k", dockerfile.Step{Kind: "keep", Stage: 0, StageName: "build", Keep: []string{"/out"}})
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "bind", From: "build", FromStage: stageIndex(0), Source: "/out", Target: "/o", ReadOnly: true},
		{Type: "bind", From: "build", FromStage: stageIndex(0), Source: "out/latest", Target: "/bin/app"},
	}})
	f.start()
	c, _ := f.prepare(keep)
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	// kaniko deletes the stage's files before the next stage.
	for _, p := range []string{"/out", "/etc/other"} {
		if err := os.RemoveAll(f.in(p)); err != nil {
			t.Fatal(err)
		}
	}
	f.age()
	before := f.snapshot()
	c, _ = f.prepare(file)
	if got := mustRead(t, f.in("/o/app")); got != "binary" {
		t.Errorf("mounted app holds %q", got)
	}
	if mode, uid, _ := stat(t, f.in("/o/app")); mode != 0o755 || uid != 1000 {
		t.Errorf("mounted app is %o owned by %d, want 755 by 1000 as in the stage", mode, uid)
	}
	if got := mustRead(t, f.in("/bin/app")); got != "binary" {
		t.Errorf("a source that is a link inside the stage resolves inside it: %q", got)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
}

func TestAWholeStageIsKeptWithoutKanikosIgnoredPaths(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, f.in("/app"), "binary", 0o755)
	mustWrite(t, f.in("/proc/1/status"), "host", 0o644)
	mustMkdir(t, f.in("/var/run/x"))
	mustMkdir(t, f.in("/tmp"))
	f.cfg.IgnoreList = func() []string { return []string{"/proc", "/var/run", "/tmp/apt-key-gpghome"} }
	keep := f.add("k", dockerfile.Step{Kind: "keep", Stage: 2, StageName: "binaries", Keep: []string{"/"}})
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "bind", From: "binaries", FromStage: stageIndex(2), Target: "/work", ReadOnly: true},
	}})
	f.start()
	c, _ := f.prepare(keep)
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	c, _ = f.prepare(file)
	defer c.finish()
	if got := mustRead(t, f.in("/work/app")); got != "binary" {
		t.Errorf("whole stage mount holds %q", got)
	}
	for _, p := range []string{"/work/proc", "/work/kaniko", "/work/var", "/work/tmp"} {
		if _, err := os.Lstat(f.in(p)); !os.IsNotExist(err) {
			t.Errorf("%s was kept: %v", p, err)
		}
	}
}

// pushImage writes an image with the given files to a registry served
// in-process and returns its reference.
func pushImage(t *testing.T, files map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for p, body := range files {
		_ = tw.WriteHeader(&tar.Header{Name: p, Mode: 0o640, Size: int64(len(body)), Typeflag: tar.TypeReg, Uid: 7, Gid: 8, ModTime: time.Unix(1e9, 0)})
		_, _ = tw.Write([]byte(body))
	}
	_ = tw.Close()
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	base, _ := random.Image(64, 1)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	ref, err := name.ParseReference(u.Host + "/tools/x:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return ref.String()
}

func TestBindAndCacheFromAnImagePullItsSourceOnce(t *testing.T) {
	ref := pushImage(t, map[string]string{"opt/tool/bin": "tool", "opt/tool/lib/x": "lib", "etc/other": "no"})
	f := newFixture(t)
	f.cfg.Registry = fetch.Registry{Pull: func(ref string) (v1.Image, error) {
		r, err := name.ParseReference(ref)
		if err != nil {
			return nil, err
		}
		return remote.Image(r, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}}
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "bind", From: ref, FromImage: true, Source: "/opt/tool", Target: "/t", ReadOnly: true},
		{Type: "cache", ID: "c", From: ref, FromImage: true, Source: "/opt/tool", Target: "/c", Sharing: "shared"},
	}})
	f.age()
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(file)
	if got := mustRead(t, f.in("/t/bin")); got != "tool" {
		t.Errorf("bind from the image holds %q", got)
	}
	if mode, uid, gid := stat(t, f.in("/t/lib/x")); mode != 0o640 || uid != 7 || gid != 8 {
		t.Errorf("image file is %o %d:%d, want 640 7:8", mode, uid, gid)
	}
	if _, err := os.Stat(f.in("/t/other")); !os.IsNotExist(err) {
		t.Errorf("files outside the source are mounted: %v", err)
	}
	if got := mustRead(t, f.in("/c/bin")); got != "tool" {
		t.Errorf("the cache did not start from the image: %q", got)
	}
	mustWrite(t, f.in("/c/new"), "kept", 0o644)
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
	file2 := f.add("s2", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "cache", ID: "c", From: ref, FromImage: true, Source: "/opt/tool", Target: "/c", Sharing: "shared"},
		{Type: "cache", ID: "c2", Target: "/plain", Sharing: "shared"},
	}})
	c, _ = f.prepare(file2)
	if got := mustRead(t, f.in("/c/new")); got != "kept" {
		t.Errorf("the cache based on the image lost what a step wrote: %q", got)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
}

func TestBindFromAStageThatWasNotKeptFailsTheStep(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", dockerfile.Step{Line: 4, Mounts: []dockerfile.Mount{
		{Type: "bind", From: "build", FromStage: stageIndex(0), Source: "/out", Target: "/o"},
	}})
	f.start()
	if _, _, err := dial(file); err == nil {
		t.Fatal("a stage without kept files was mounted")
	}
}
