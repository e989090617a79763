package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

var update = flag.Bool("update", false, "write the measured image sizes into docs/IMAGE.md")

const (
	version  = "v0.0.0-test"
	revision = "0123456789abcdef0123456789abcdef01234567"
	repo     = "kaniko-ecr"
)

// elfMachine is the ELF machine a binary for each architecture must have.
var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin's image in the sandbox (minutes on a cold build cache)")
	}
	requireTools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	// A copy, as CI's fresh clone would be: the test writes dist/ and the
	// sandbox gets the workspace read-write.
	ws := filepath.Join(t.TempDir(), "ws")
	if err := copyTree(root, ws); err != nil {
		t.Fatalf("copying the repository: %v", err)
	}

	stack, err := localecr.Start(t.TempDir())
	if err != nil {
		t.Fatalf("starting local ECR: %v", err)
	}
	t.Cleanup(stack.Stop)
	base, err := stack.PushBase("base/busybox")
	if err != nil {
		t.Fatal(err)
	}
	ropts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	env := stack.Env()
	env["VERSION"] = version
	env["REVISION"] = revision
	env["PLUGIN_REPO"] = repo
	env["CA_BUNDLE"] = stack.CABundle // into the image: it must trust the local registry

	run(ctx, t, ws, env, "scripts/image.sh")

	idxRef := mustTag(t, stack.Registry.Addr+"/"+repo+":"+version)
	idx, err := remote.Index(idxRef, ropts...)
	if err != nil {
		t.Fatalf("reading the index %s: %v", idxRef, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	var hostImage v1.Image
	var sizes []sizeRow
	for _, d := range im.Manifests {
		if d.Platform == nil {
			t.Fatalf("index entry %s has no platform", d.Digest)
		}
		platforms = append(platforms, d.Platform.String())
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		checkImage(t, img, d.Platform.Architecture)
		size, layers := imageSize(t, img)
		sizes = append(sizes, sizeRow{d.Platform.String(), size, layers})
		t.Logf("%s: %s, compressed %d bytes (%.2f MiB) in %d layers", d.Platform, d.Digest, size, float64(size)/(1<<20), layers)
		if d.Platform.Architecture == runtime.GOARCH {
			hostImage = img
		}
	}
	sort.Strings(platforms)
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(platforms, want) {
		t.Fatalf("index platforms = %v, want %v", platforms, want)
	}
	if *update {
		writeSizes(t, filepath.Join(root, "docs", "IMAGE.md"), sizes)
	}
	if hostImage == nil {
		t.Fatalf("no image for this machine's architecture %s", runtime.GOARCH)
	}

	// The image itself as "/": its own binary, environment and CA bundle
	// build and push the example. Nothing is bound from outside but the
	// workspace and resolv.conf.
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if err := extract(hostImage, rootfs); err != nil {
		t.Fatalf("extracting the image: %v", err)
	}
	cf, err := hostImage.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Config.Entrypoint) == 0 {
		t.Fatal("the image has no entrypoint")
	}
	envFile := filepath.Join(t.TempDir(), "image.env")
	if err := os.WriteFile(envFile, []byte(strings.Join(cf.Config.Env, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stack.API.AddRepository(localecr.Repository{Name: "demo/hello"})
	env = stack.Env()
	env["PLUGIN_REPO"] = "demo/hello"
	env["PLUGIN_TAGS"] = "from-image"
	env["PLUGIN_BUILD_ARGS"] = "BASE_IMAGE=" + base
	env["SANDBOX_ROOTFS"] = rootfs
	env["SANDBOX_ENV_FILE"] = envFile
	out := run(ctx, t, ws, env, "scripts/sandbox.sh", cf.Config.Entrypoint[0], "scripts/demo/hello")

	m := regexp.MustCompile(`digest: (sha256:[0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in the plugin's log:\n%s", tail(out))
	}
	ref := mustTag(t, stack.Registry.Addr+"/demo/hello:from-image")
	img, err := remote.Image(ref, ropts...)
	if err != nil {
		t.Fatalf("reading %s: %v", ref, err)
	}
	if d, err := img.Digest(); err != nil || d.String() != m[1] {
		t.Fatalf("%s has digest %v (%v), the plugin logged %s", ref, d, err, m[1])
	}
	hcf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if hcf.Architecture != runtime.GOARCH {
		t.Errorf("%s: architecture %q, want %q", ref, hcf.Architecture, runtime.GOARCH)
	}
	files, err := readFiles(img, "app/greeting.txt")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := os.ReadFile(filepath.Join(ws, "scripts", "demo", "hello", "message.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := "hello from kaniko-ecr\n" + string(msg)
	if got := string(files["app/greeting.txt"]); got != want {
		t.Errorf("/app/greeting.txt in %s = %q, want %q", ref, got, want)
	}
}

// requireTools fails the test, naming what to install, when the sandbox or
// the local registry cannot run here.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (kaniko must own the sandbox's /)")
	}
	if _, err := exec.LookPath("bwrap"); err != nil {
		missing = append(missing, "bwrap (apt-get install bubblewrap)")
	}
	if _, err := os.Stat(localecr.RegistryBinary); err != nil {
		missing = append(missing, localecr.RegistryBinary+" (apt-get install docker-registry)")
	}
	if _, err := os.Stat(localecr.BusyboxPath); err != nil {
		missing = append(missing, localecr.BusyboxPath+" (apt-get install busybox-static)")
	}
	if _, err := exec.LookPath("go"); err != nil {
		missing = append(missing, "go in PATH (scripts/build.sh)")
	}
	if len(missing) > 0 {
		t.Fatalf("missing: %s; or run go test -short", strings.Join(missing, ", "))
	}
}

// run runs the script name in dir with the outer environment minus plugin and
// sandbox settings, plus env, and returns its combined output.
func run(ctx context.Context, t *testing.T, dir string, env map[string]string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, name), args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, set := env[k]; set || strings.HasPrefix(k, "PLUGIN_") || strings.HasPrefix(k, "DRONE_") || strings.HasPrefix(k, "SANDBOX_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s: %s", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(string(out)))
	}
	return string(out)
}

// tail keeps the last lines of a long log, leaving out kaniko's debug noise.
func tail(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "level=debug") && !strings.Contains(l, "level=trace") {
			keep = append(keep, l)
		}
	}
	if len(keep) > 60 {
		keep = keep[len(keep)-60:]
	}
	return strings.Join(keep, "\n")
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// checkImage checks one platform's image: its config, and that its files
// are exactly the layout of CONTRACT.md §1 (no docker config with a token,
// nothing from the builder's own "/").
func checkImage(t *testing.T, img v1.Image, arch string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != arch {
		t.Errorf("%s image: config says %s/%s", arch, cf.OS, cf.Architecture)
	}
	if want := []string{"/kaniko/kaniko-ecr"}; !slices.Equal(cf.Config.Entrypoint, want) {
		t.Errorf("%s image: entrypoint %q, want %q", arch, cf.Config.Entrypoint, want)
	}
	for _, kv := range []string{"HOME=/root", "DOCKER_CONFIG=/kaniko/.docker", "SSL_CERT_DIR=/kaniko/ssl/certs", "PATH=/usr/local/bin:/kaniko"} {
		if !slices.Contains(cf.Config.Env, kv) {
			t.Errorf("%s image: env %q lacks %s", arch, cf.Config.Env, kv)
		}
	}
	if cf.Config.WorkingDir != "/workspace" {
		t.Errorf("%s image: working dir %q, want /workspace", arch, cf.Config.WorkingDir)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.source":   "https://github.com/kaniko-ecr/kaniko-ecr",
	} {
		if got := cf.Config.Labels[k]; got != want {
			t.Errorf("%s image: label %s = %q, want %q", arch, k, got, want)
		}
	}

	var entries []string
	var binary []byte
	err = walkFiles(img, func(name string, h *tar.Header, r io.Reader) error {
		switch h.Typeflag {
		case tar.TypeDir:
			entries = append(entries, name+"/")
		case tar.TypeSymlink:
			entries = append(entries, name+" -> "+h.Linkname)
		default:
			entries = append(entries, fmt.Sprintf("%s %o", name, h.Mode&0o7777))
		}
		if name == "kaniko/kaniko-ecr" {
			var err error
			binary, err = io.ReadAll(r)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s image: reading layers: %v", arch, err)
	}
	sort.Strings(entries)
	want := []string{
		"etc/",
		"etc/ssl/",
		"etc/ssl/certs/",
		"etc/ssl/certs/ca-certificates.crt -> /kaniko/ssl/certs/ca-certificates.crt",
		"kaniko/",
		"kaniko/kaniko-ecr 755",
		"kaniko/ssl/",
		"kaniko/ssl/certs/",
		"kaniko/ssl/certs/ca-certificates.crt 644",
		"workspace/",
	}
	if !slices.Equal(entries, want) {
		t.Errorf("%s image files:\n  %s\nwant:\n  %s", arch, strings.Join(entries, "\n  "), strings.Join(want, "\n  "))
	}
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		t.Fatalf("%s image: /kaniko/kaniko-ecr is not ELF: %v", arch, err)
	}
	if f.Machine != elfMachine[arch] {
		t.Errorf("%s image: /kaniko/kaniko-ecr is built for %s", arch, f.Machine)
	}
}

// walkFiles calls fn for every entry of the image's flattened filesystem
// but its root.
func walkFiles(img v1.Image, fn func(name string, h *tar.Header, r io.Reader) error) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		n := filepath.Clean(strings.TrimPrefix(h.Name, "/"))
		if n == "." {
			continue
		}
		if err := fn(n, h, tr); err != nil {
			return err
		}
	}
}

// imageSize is what a pull transfers: compressed layers, config, manifest.
func imageSize(t *testing.T, img v1.Image) (int64, int) {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	total := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, len(m.Layers)
}

// readFiles returns the named files of the image's flattened filesystem.
func readFiles(img v1.Image, names ...string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := walkFiles(img, func(n string, _ *tar.Header, r io.Reader) error {
		if !slices.Contains(names, n) {
			return nil
		}
		var err error
		out[n], err = io.ReadAll(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("no %s in the image", n)
		}
	}
	return out, nil
}

// extract writes the image's flattened filesystem under dir. os.Root keeps
// every write inside dir, whatever links the image holds.
func extract(img v1.Image, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return walkFiles(img, func(n string, h *tar.Header, r io.Reader) error {
		mode := fs.FileMode(h.Mode) & fs.ModePerm
		if d := filepath.Dir(n); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		var err error
		switch h.Typeflag {
		case tar.TypeDir:
			if err = root.MkdirAll(n, mode); err == nil {
				err = root.Chmod(n, mode)
			}
		case tar.TypeReg:
			var f *os.File
			if f, err = root.OpenFile(n, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode); err != nil {
				break
			}
			_, err = io.Copy(f, r)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = root.Chmod(n, mode)
			}
		case tar.TypeSymlink:
			err = root.Symlink(h.Linkname, n)
		case tar.TypeLink:
			err = root.Link(filepath.Clean(strings.TrimPrefix(h.Linkname, "/")), n)
		}
		if err != nil {
			return fmt.Errorf("extracting %s: %w", h.Name, err)
		}
		return nil
	})
}

// copyTree copies the repository's regular files and directories, leaving
// out git's data and build outputs.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		switch rel {
		case ".git", "dist", ".cache":
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // .git is a file in a worktree
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, info.Mode().Perm())
		}
		return nil
	})
}

type sizeRow struct {
	platform string
	bytes    int64
	layers   int
}

// writeSizes replaces the table between the size markers of docs/IMAGE.md.
func writeSizes(t *testing.T, path string, rows []sizeRow) {
	t.Helper()
	const begin, end = "<!-- sizes:begin -->\n", "<!-- sizes:end -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q markers", path, strings.TrimSpace(begin), end)
	}
	sort.Slice(rows, func(a, b int) bool { return rows[a].platform < rows[b].platform })
	var b strings.Builder
	b.WriteString("| Platform | Compressed size | Bytes | Layers |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %.1f MiB | %d | %d |\n", r.platform, float64(r.bytes)/(1<<20), r.bytes, r.layers)
	}
	fmt.Fprintf(&b, "\nMeasured %s: binaries built by %s on a %s/%s host; CA bundle the host's plus the local registry's certificate.\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	out := append(append(append([]byte{}, doc[:i+len(begin)]...), b.String()...), doc[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
