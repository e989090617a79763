package runtime

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

const frontendPackage = "github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend"

// reference is what BuildKit builds need: a plain-HTTP registry on
// loopback (Docker treats 127.0.0.0/8 registries as insecure, so its
// BuildKit pulls from them over HTTP; any port works) holding the front end
// and the busybox base.
type reference struct {
	registry string // 127.0.0.1:port
	frontend string // <registry>/dockerfile:local
	base     string // <registry>/base/busybox:latest
}

var (
	refOnce  sync.Once
	refState *reference
	refErr   error
)

// buildkitReference sets the reference up once per test run.
func buildkitReference(t *testing.T) *reference {
	t.Helper()
	refOnce.Do(func() {
		start := time.Now()
		refState, refErr = setUpReference()
		t.Logf("BuildKit reference set up in %s", time.Since(start).Round(time.Millisecond))
	})
	if refErr != nil {
		t.Fatalf("setting up BuildKit: %v", refErr)
	}
	return refState
}

func setUpReference() (*reference, error) {
	bin, err := frontendBinary()
	if err != nil {
		return nil, err
	}
	addr, err := startPlainRegistry(filepath.Join(tmpDir, "plain-registry"))
	if err != nil {
		return nil, err
	}
	r := &reference{registry: addr, frontend: addr + "/dockerfile:local", base: addr + "/base/busybox:latest"}
	fe, err := frontendImage(bin)
	if err != nil {
		return nil, err
	}
	busybox, err := localecr.BusyboxImage()
	if err != nil {
		return nil, err
	}
	for ref, img := range map[string]v1.Image{r.frontend: fe, r.base: busybox} {
		tag, err := name.NewTag(ref)
		if err != nil {
			return nil, err
		}
		if err := remote.Write(tag, img); err != nil { // plain HTTP: a loopback registry
			return nil, fmt.Errorf("pushing %s: %w", ref, err)
		}
	}
	// A build's cache mounts outlive it in BuildKit: start from none, as a
	// fresh machine (and every kaniko-ecr build without
	// PLUGIN_CACHE_MOUNT_DIR) does.
	if out, err := command("", nil, docker, "builder", "prune", "-f", "--filter", "type=exec.cachemount"); err != nil {
		return nil, fmt.Errorf("docker builder prune: %v\n%s", err, out)
	}
	return r, nil
}

// frontendBinary builds BuildKit's Dockerfile front end at the version
// go.mod requires, in a module outside the repository that has go.mod's
// requirements (so every shared dependency has our version), once per
// go.mod and Go version: cached in the user's cache directory.
func frontendBinary() (string, error) {
	version, err := command(repoRoot, nil, "go", "list", "-m", "-f", "{{.Version}}", "github.com/moby/buildkit")
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/moby/buildkit: %v\n%s", err, version)
	}
	version = strings.TrimSpace(version)
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		return "", err
	}
	gosum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(gomod)
	h.Write(gosum)
	h.Write([]byte(runtime.Version()))
	key := hex.EncodeToString(h.Sum(nil))[:12]
	cache := filepath.Join(tmpDir, "cache")
	if dir, err := os.UserCacheDir(); err == nil {
		cache = filepath.Join(dir, "kaniko-ecr-runtime")
	}
	bin := filepath.Join(cache, "dockerfile-frontend-"+version+"-"+key)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	mod := filepath.Join(tmpDir, "frontend-module")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return "", err
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	tools := "//go:build tools\n\npackage tools\n\nimport _ \"" + frontendPackage + "\"\n"
	for f, b := range map[string][]byte{"go.mod": gomod, "go.sum": gosum, "tools.go": []byte(tools)} {
		if err := os.WriteFile(filepath.Join(mod, f), b, 0o644); err != nil {
			return "", err
		}
	}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	for _, args := range [][]string{
		{"mod", "edit", "-module", "kaniko-ecr-buildkit-frontend"},
		{"mod", "tidy"},
		{"build", "-trimpath", "-ldflags", "-s -w", "-o", bin + ".tmp", frontendPackage},
	} {
		if out, err := command(mod, env, "go", args...); err != nil {
			return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin, os.Rename(bin+".tmp", bin)
}

// frontendImage is the front end as BuildKit runs one: FROM scratch, the
// binary at /bin/dockerfile-frontend as the entrypoint, no network.
func frontendImage(bin string) (v1.Image, error) {
	body, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "bin/dockerfile-frontend", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(body))}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return localecr.ImageFromTar(buf.Bytes(), func(cf *v1.ConfigFile) {
		cf.Config.Entrypoint = []string{"/bin/dockerfile-frontend"}
		cf.Config.Labels = map[string]string{"moby.buildkit.frontend.network.none": "true"}
	})
}

// startPlainRegistry starts Debian's docker-registry on a free loopback
// port without TLS or auth; it stops with the test binary's temp dir.
func startPlainRegistry(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		return "", err
	}
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		return "", err
	}
	cmd := exec.Command(localecr.RegistryBinary, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	plainRegistry = cmd
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr, nil
			}
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
	return "", fmt.Errorf("plain registry on %s did not answer: %s", addr, log)
}

// plainRegistry is stopped by TestMain's stopReference.
var plainRegistry *exec.Cmd

func stopReference() {
	stopBuildkitd()
	if plainRegistry != nil && plainRegistry.Process != nil {
		_ = plainRegistry.Process.Kill()
		_ = plainRegistry.Wait()
	}
}

// entry is what the comparison looks at for one path: not mtimes.
type entry struct {
	typ      byte
	mode     int64 // permission and special bits
	uid, gid int
	link     string // symlink target, or hard link's other name
	body     string // content of a regular file
}

func (e entry) String() string {
	s := fmt.Sprintf("%c %04o %d:%d", e.typ, e.mode, e.uid, e.gid)
	switch {
	case e.link != "":
		s += " -> " + e.link
	case e.typ == tar.TypeReg:
		s += fmt.Sprintf(" %q", short(e.body))
	}
	return s
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// readTree reads a root filesystem as a tar stream.
func readTree(r io.Reader) (map[string]entry, error) {
	tree := map[string]entry{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tree, nil
		}
		if err != nil {
			return nil, err
		}
		p := strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")
		if p == "" || p == "." {
			continue
		}
		e := entry{typ: h.Typeflag, mode: h.Mode & 0o7777, uid: h.Uid, gid: h.Gid}
		switch h.Typeflag {
		case tar.TypeReg: // the reader reports the old TypeRegA as TypeReg
			e.typ = tar.TypeReg
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			e.body = string(b)
		case tar.TypeSymlink:
			e.link = h.Linkname
		case tar.TypeLink:
			e.link = strings.Trim(strings.TrimPrefix(h.Linkname, "./"), "/")
		}
		tree[p] = e
	}
}

// bkCase is one Dockerfile built by both.
type bkCase struct {
	name       string
	dockerfile string
	files      map[string]string // the workspace (context) besides the Dockerfile
	secrets    map[string]string // id -> value; a file under secrets/ in the workspace
	ssh        bool
	prepare    func(t *testing.T, ws string) // after the files are written
	fail       bool                          // both builds must fail, naming the checksum
	buildArgs  string                        // build args besides BASE, k=v,...
	// differ: paths whose entries differ, each with why; a difference
	// found elsewhere fails the test, and so does one listed here that is
	// no longer there.
	differ map[string]string
	// stubs: empty directories only BuildKit's result has, each a RUN
	// mount's target or a parent of one that the image did not have.
	// The engine's BuildKit (v0.8 in Docker 20.10) leaves the mount
	// points it creates in the root filesystem; newer BuildKit removes
	// them again after the RUN (executor.MountStubsCleaner, in go.mod's
	// BuildKit, where the front end comes from), as kaniko-ecr does: the
	// stubs only count against the engine's BuildKit.
	stubs []string
	// volumes: the VOLUME paths the image's config must declare, as
	// BuildKit's does (the root filesystems show none of it).
	volumes []string
	// current: the reference must be buildkitd at go.mod's version (see
	// buildkitd_test.go): the case is skipped without it. Where it is at
	// hand (KANIKO_ECR_BUILDKIT_BIN, as in CI), it is every case's.
	current bool
}

// BuildKit is the reference for BuildKit's Dockerfile features: each
// Dockerfile of buildkitCases is built twice from the same workspace, once
// by BuildKit and once by the plugin's image in Docker; then the two root
// filesystems are compared: every path, its type, mode, owner, content and
// link target (not mtimes). BuildKit is buildkitd at go.mod's version
// where KANIKO_ECR_BUILDKIT_BIN gives it, else the engine's BuildKit
// running the Dockerfile front end kaniko-ecr compiles against (built
// from the module proxy).
func TestBuildKitIsTheReference(t *testing.T) {
	ref := buildkitReference(t)
	for _, c := range buildkitCases() {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compareWithBuildKit(t, ref, c)
		})
	}
}

func compareWithBuildKit(t *testing.T, ref *reference, c bkCase) {
	files := map[string]string{"Dockerfile": c.dockerfile}
	for k, v := range c.files {
		files[k] = v
	}
	var fromFile []string
	for id, v := range c.secrets {
		files["secrets/"+id] = v
		fromFile = append(fromFile, id+"=secrets/"+id)
	}
	ws := t.TempDir()
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if c.prepare != nil {
		c.prepare(t, ws)
	}
	sort.Strings(fromFile)
	var sshKey, sock string
	if c.ssh {
		sshKey = sshKeyPEM(t)
		sock = sshAgent(t, sshKey)
	}
	rootfs := filepath.Join(t.TempDir(), "rootfs.tar")

	var bkTree map[string]entry
	var bkOut string
	var bkErr error
	var wg sync.WaitGroup
	wg.Add(1)
	addr := ""
	// Today's BuildKit is the reference wherever it is at hand.
	if os.Getenv("KANIKO_ECR_BUILDKIT_BIN") != "" {
		c.current = true
	}
	if c.current {
		addr = currentBuildKit(t, ref)
	}
	go func() {
		defer wg.Done()
		if c.current {
			bkTree, bkOut, bkErr = buildWithCurrentBuildKit(t, addr, ref, ws, c, sock, rootfs)
			return
		}
		bkTree, bkOut, bkErr = buildWithBuildKit(t, ref, ws, c, sock, rootfs)
	}()

	repo := "bkref/" + c.name
	stack.API.AddRepository(localecr.Repository{Name: repo})
	env := map[string]string{"PLUGIN_REPO": repo, "PLUGIN_TAGS": "latest", "PLUGIN_BUILD_ARGS": strings.TrimSuffix("BASE="+base+","+c.buildArgs, ",")}
	if len(fromFile) > 0 {
		env["PLUGIN_SECRETS_FROM_FILE"] = strings.Join(fromFile, ",")
	}
	if sshKey != "" {
		env["PLUGIN_SSH_AGENT_KEY"] = sshKey
	}
	start := time.Now()
	out, err := dockerRunPlugin(t, ws, env).CombinedOutput()
	t.Logf("kaniko-ecr: %s", time.Since(start).Round(time.Millisecond))
	wg.Wait()

	if c.fail {
		if bkErr == nil {
			t.Errorf("BuildKit built it; want a failure")
		}
		if err == nil {
			t.Errorf("kaniko-ecr built it; want a failure")
		}
		if !strings.Contains(bkOut, "mismatch") || !strings.Contains(string(out), "checksum") {
			t.Errorf("the failures do not name the checksum:\nBuildKit: %s\nkaniko-ecr: %s", tail(bkOut, 4), tail(string(out), 4))
		}
		if tagExists(t, stack.Registry.Addr+"/"+repo+":latest") {
			t.Error("kaniko-ecr pushed a tag")
		}
		return
	}
	if bkErr != nil {
		t.Fatalf("BuildKit: %v\n%s", bkErr, tail(bkOut, 30))
	}
	if err != nil {
		t.Fatalf("kaniko-ecr: %v\n%s", err, tail(string(out), 30))
	}
	ours := pulledTree(t, stack.Registry.Addr+"/"+repo+":latest")
	if c.volumes != nil {
		cf := pulledConfig(t, stack.Registry.Addr+"/"+repo+":latest")
		if got := slices.Sorted(maps.Keys(cf.Config.Volumes)); !slices.Equal(got, c.volumes) {
			t.Errorf("the config declares the volumes %q, want %q", got, c.volumes)
		}
	}

	seen := map[string]bool{}
	paths := map[string]bool{}
	for p := range bkTree {
		paths[p] = true
	}
	for p := range ours {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	for _, p := range sorted {
		b, inBK := bkTree[p]
		o, inOurs := ours[p]
		if inBK && inOurs && b == o {
			continue
		}
		if (!c.current && isStub(c.stubs, p) || runcStubs[p]) && !inOurs {
			seen[p] = true
			if b.typ != tar.TypeDir || hasChildren(bkTree, p, c.stubs) {
				t.Errorf("/%s: BuildKit left %s there, not an empty mount point", p, b)
			}
			continue
		}
		show := func(in bool, e entry) string {
			if !in {
				return "absent"
			}
			return e.String()
		}
		if why, ok := c.differ[p]; ok {
			seen[p] = true
			t.Logf("expected difference at /%s (%s): BuildKit %s, kaniko-ecr %s", p, why, show(inBK, b), show(inOurs, o))
			continue
		}
		t.Errorf("/%s: BuildKit %s, kaniko-ecr %s", p, show(inBK, b), show(inOurs, o))
	}
	for _, p := range c.stubs {
		if !seen[p] && !c.current {
			t.Errorf("BuildKit no longer leaves the mount point /%s: remove it from the stubs", p)
		}
	}
	for p := range c.differ {
		if !seen[p] {
			t.Errorf("/%s was expected to differ (%s) but does not: remove it from the list", p, c.differ[p])
		}
	}
	for id, v := range c.secrets {
		for who, tree := range map[string]map[string]entry{"BuildKit": bkTree, "kaniko-ecr": ours} {
			for p, e := range tree {
				if strings.Contains(e.body, v) {
					t.Errorf("%s's image holds secret %s in /%s", who, id, p)
				}
			}
		}
	}
}

// runcStubs are made for every RUN by BuildKit's runc (the engine's and
// buildkitd's): the mount points of /dev, /proc and /sys, left in a base
// image that lacks them.
var runcStubs = map[string]bool{"dev": true, "proc": true, "sys": true}

func isStub(stubs []string, p string) bool {
	for _, s := range stubs {
		if s == p {
			return true
		}
	}
	return false
}

// hasChildren: does tree hold anything under dir other than stubs?
func hasChildren(tree map[string]entry, dir string, stubs []string) bool {
	for p := range tree {
		if strings.HasPrefix(p, dir+"/") && !isStub(stubs, p) && !runcStubs[p] {
			return true
		}
	}
	return false
}

// buildWithBuildKit builds the workspace with the engine's BuildKit and the
// reference front end (BUILDKIT_SYNTAX: the Dockerfile stays as it is) and
// reads the result, exported as a tar of the root filesystem.
// It runs in its own goroutine: no t.Fatal.
func buildWithBuildKit(t *testing.T, ref *reference, ws string, c bkCase, sshSock, out string) (map[string]entry, string, error) {
	args := []string{"build", "--no-cache", "--progress=plain",
		"--build-arg", "BUILDKIT_SYNTAX=" + ref.frontend, "--build-arg", "BASE=" + ref.base}
	ids := make([]string, 0, len(c.secrets))
	for id := range c.secrets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		args = append(args, "--secret", "id="+id+",src="+filepath.Join(ws, "secrets", id))
	}
	if sshSock != "" {
		args = append(args, "--ssh", "default="+sshSock)
	}
	for _, kv := range strings.Split(c.buildArgs, ",") {
		if kv != "" {
			args = append(args, "--build-arg", kv)
		}
	}
	args = append(args, "--output", "type=tar,dest="+out, ws)
	cmd := exec.Command(docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	start := time.Now()
	log, err := cmd.CombinedOutput()
	t.Logf("BuildKit: %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		return nil, string(log), err
	}
	tree, err := readTreeFile(out)
	return tree, string(log), err
}

// readTreeFile is readTree of the tar file at path.
func readTreeFile(path string) (map[string]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readTree(f)
}

// pulledTree reads an image back from the local ECR and flattens it.
func pulledTree(t *testing.T, ref string) map[string]entry {
	t.Helper()
	rc := mutate.Extract(pulled(t, ref))
	defer rc.Close()
	tree, err := readTree(rc)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// pulled is the image ref names, read back from the registry.
func pulled(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, opts...)
	if err != nil {
		t.Fatalf("reading %s back: %v", ref, err)
	}
	return img
}

func pulledConfig(t *testing.T, ref string) *v1.ConfigFile {
	t.Helper()
	cf, err := pulled(t, ref).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

func tagExists(t *testing.T, ref string) bool {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Head(r, opts...)
	return err == nil
}

// sshKeyPEM is a new private key in OpenSSH's PEM form.
func sshKeyPEM(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

// sshAgent serves the key on a new socket, for `docker build --ssh`.
func sshAgent(t *testing.T, key string) string {
	t.Helper()
	priv, err := ssh.ParseRawPrivateKey([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	kr := agent.NewKeyring()
	if err := kr.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "bk-ssh-") // short: a socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); os.RemoveAll(dir) })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer conn.Close(); _ = agent.ServeAgent(kr, conn) }()
		}
	}()
	return sock
}
