package integration

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// parityBuilds is how many builds run at once: each is a sandbox that
// pulls, unpacks and pushes a small image, mostly waiting on the disk and
// the registry, so more than the 2 cores of CI keeps them busy.
const parityBuilds = 4

// TestKanikoIntegrationDockerfilesBuildAsKanikosExecutorBuildsThem builds
// every Dockerfile of kaniko's own integration suite (integration/dockerfiles
// and dockerfiles-with-context in kaniko's module at go.mod's version)
// twice, in the same sandbox against the same registry: with the plugin
// and with kaniko's executor of that version. Docker Hub bases come through an authenticated mirror on
// the registry (PLUGIN_REGISTRY_MIRRORS, --registry-mirror: <registry>/docker-hub,
// as an ECR pull-through cache), with no fallback to Docker Hub.
//
// Both builders get the same effective options, set explicitly where the
// plugin's defaults differ from kaniko's CLI (snapshot mode, unused
// stages, compressed caching, download retries), and --reproducible. The
// images must have the same image id (config digest): with --reproducible
// the config carries no build time and the layers no file times, so the
// id covers the config, the history and every layer's uncompressed
// content (its diff id). The manifests are most often equal too, but need
// not be: the plugin compresses the layers itself (pgzip), and another
// compressor's bytes would differ. Where the ids differ, the config and
// each differing layer's files are compared to name the difference; a case's wallClock files
// (RUN date > /date) may differ in content only. A case both builders
// fail on matches only if it is expected to (parityCase.bothFail) and
// both give the same error.
func TestKanikoIntegrationDockerfilesBuildAsKanikosExecutorBuildsThem(t *testing.T) {
	mod, version := kanikoModule(t)
	exe := kanikoExecutor(t, version)
	src := filepath.Join(mod, "integration")
	suite := integrationDockerfiles(t, src)
	names := make([]string, len(suite))
	for i, d := range suite {
		names[i] = d.name
	}
	staleEntries(t, version, names)
	mirror := stack.Registry.Addr + "/docker-hub"
	pushStandIns(t, mirror, "docker.io", standIns)
	pushStandIns(t, gcrMirror(), "gcr.io", gcrStandIns)

	p := &parityRun{mod: mod, exe: exe, mirror: mirror, slots: make(chan struct{}, parityBuilds)}
	start := time.Now()
	t.Cleanup(func() { p.report(t, len(names), time.Since(start)) })
	t.Logf("kaniko %s: %d Dockerfiles in %s/dockerfiles and dockerfiles-with-context", version, len(names), src)
	for _, d := range suite {
		n := d.name
		t.Run(n, func(t *testing.T) {
			if why, ok := skipSummary[n]; ok {
				p.note(&p.skipped, n+": "+why)
				t.Skip(why)
			}
			t.Parallel()
			p.note(&p.built, n)
			p.buildAndCompare(t, d)
		})
	}
}

// parityRun is one run of the parity test, shared by its cases.
type parityRun struct {
	mod, exe, mirror string
	slots            chan struct{}

	mu                                  sync.Mutex
	built, matched, bothFailed, skipped []string
	unpinned                            []string
}

func (p *parityRun) note(list *[]string, s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	*list = append(*list, s)
}

func (p *parityRun) report(t *testing.T, total int, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sort.Strings(p.skipped)
	t.Logf("parity with kaniko's executor: %d Dockerfiles, %d built, %d matched (%d of them fail in both), %d skipped, in %s",
		total, len(p.built), len(p.matched)+len(p.bothFailed), len(p.bothFailed), len(p.skipped), took.Round(time.Second))
	if len(p.unpinned) > 0 {
		sort.Strings(p.unpinned)
		t.Logf("unpinned (Docker Hub digest replaced by the stand-in's tag, for both builders): %s", strings.Join(p.unpinned, ", "))
	}
	if len(p.bothFailed) > 0 {
		t.Logf("failing in both builders alike: %s", strings.Join(p.bothFailed, ", "))
	}
	t.Logf("skipped:\n  %s", strings.Join(p.skipped, "\n  "))
}

// suiteDockerfile is one Dockerfile of kaniko's suite: its name (the
// key of the case tables), the directory its suite builds it in (copied
// as the workspace), and the Dockerfile's path in that directory.
type suiteDockerfile struct{ name, dir, file string }

// integrationDockerfiles lists kaniko's integration Dockerfiles: every
// file of dockerfiles/ but the .dockerignore files that go with them, all
// built in integration/ (TestRun), and the Dockerfile of each directory of
// dockerfiles-with-context/, built in that directory (TestWithContext).
func integrationDockerfiles(t *testing.T, src string) []suiteDockerfile {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(src, "dockerfiles"))
	if err != nil {
		t.Fatal(err)
	}
	var out []suiteDockerfile
	for _, e := range entries {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".dockerignore") {
			out = append(out, suiteDockerfile{e.Name(), src, "dockerfiles/" + e.Name()})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Dockerfiles in %s/dockerfiles", src)
	}
	dirs, err := os.ReadDir(filepath.Join(src, "dockerfiles-with-context"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range dirs {
		if e.IsDir() {
			out = append(out, suiteDockerfile{e.Name(), filepath.Join(src, "dockerfiles-with-context", e.Name()), "Dockerfile"})
		}
	}
	return out
}

// staleEntries fails on a case table entry for a Dockerfile that kaniko's
// suite no longer has, so that the tables follow kaniko's upgrades.
func staleEntries(t *testing.T, version string, names []string) {
	t.Helper()
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for n := range skipSummary {
		if !have[n] {
			t.Errorf("skipSummary names %s, which kaniko %s's integration suite does not have", n, version)
		}
	}
	for n := range parityCases {
		if !have[n] {
			t.Errorf("parityCases names %s, which kaniko %s's integration suite does not have", n, version)
		}
	}
}

// pushStandIns serves each image of upstream the cases name under the
// mirror's prefix, as an ECR pull-through cache would.
func pushStandIns(t *testing.T, mirror, upstream string, images []string) {
	t.Helper()
	base, err := localecr.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := stack.Registry.Options()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range images {
		release := fmt.Sprintf("PRETTY_NAME=\"Debian's busybox-static standing in for %s/%s\"\n", upstream, s)
		img, err := standInLayers(base, "etc/os-release", release)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.NewTag(mirror + "/" + s)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img, opts...); err != nil {
			t.Fatalf("pushing the stand-in for %s: %v", s, err)
		}
	}
}

// standInLayers is img with one more layer holding the file, and the
// directories of a Debian or Alpine root that busybox's lacks (a RUN may
// copy into /usr/local/bin).
func standInLayers(img v1.Image, path, body string) (v1.Image, error) {
	var b strings.Builder
	tw := tar.NewWriter(&b)
	for _, d := range []string{"home", "opt", "usr/local", "usr/local/bin", "usr/local/sbin"} {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: path, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	one, err := localecr.ImageFromTar([]byte(b.String()), func(*v1.ConfigFile) {})
	if err != nil {
		return nil, err
	}
	layers, err := one.Layers()
	if err != nil {
		return nil, err
	}
	return mutate.AppendLayers(img, layers...)
}

// digestPin is a FROM of a Docker Hub image pinned by digest: its first
// path component is docker.io or has no dot (another registry's host).
var digestPin = regexp.MustCompile(`(?im)^(\s*FROM\s+(?:--platform=\S+\s+)?)((?:docker\.io/)?[a-z0-9][a-z0-9_-]*(?:/[a-z0-9][a-z0-9._-]*)*(?::[\w.-]+)?)@sha256:[0-9a-f]{64}`)

// buildAndCompare builds one case with both builders and compares them.
func (p *parityRun) buildAndCompare(t *testing.T, d suiteDockerfile) {
	dockerfile := d.name
	c := parityCases[dockerfile]
	body, err := os.ReadFile(filepath.Join(d.dir, d.file))
	if err != nil {
		t.Fatal(err)
	}
	unpinned := digestPin.ReplaceAllString(string(body), "${1}${2}")
	if unpinned != string(body) {
		p.note(&p.unpinned, dockerfile)
	}
	repo := "parity/" + strings.ToLower(dockerfile)
	addRepos(repo)
	// One slot per case; its two builds run one after the other (the
	// harness's helpers stop the test on a timeout, from its goroutine).
	plugin, executor := func() (result, result) {
		p.slots <- struct{}{}
		defer func() { <-p.slots }()
		return runSandbox(t, p.workspace(t, d, unpinned, c), p.pluginSettings(d.file, repo, c), sandboxEnv(c.env)),
			runExecutor(t, p.exe, p.workspace(t, d, unpinned, c), p.executorFlags(d.file, repo, c), sandboxEnv(c.env))
	}()
	if c.bothFail != "" || (plugin.code != 0 && executor.code != 0) {
		p.bothFailing(t, dockerfile, c, plugin, executor)
		return
	}
	if c.asBuildKit != "" {
		p.followsBuildKit(t, dockerfile, c, plugin, executor)
		return
	}
	switch {
	case executor.code != 0:
		t.Fatalf("kaniko's executor fails (exit %d) where the plugin builds; its log ends:\n%s", executor.code, tail(executor.stderr+executor.stdout, 30))
	case plugin.code != 0:
		t.Fatalf("the plugin fails (exit %d) where kaniko's executor builds; its log ends:\n%s", plugin.code, tail(plugin.stderr, 30))
	}
	ref := stack.Registry.Addr + "/" + repo
	same, diffs := compareImages(t, ref+":plugin", ref+":executor", c.wallClock)
	if len(diffs) > 0 {
		t.Fatalf("the plugin's image differs from the executor's (-executor +plugin):\n%s", strings.Join(diffs, "\n"))
	}
	p.note(&p.matched, dockerfile)
	t.Log(same)
}

// followsBuildKit checks a case that the plugin builds as BuildKit does
// and kaniko's executor does not: the executor builds it, and the plugin
// fails as named or builds an image that differs.
func (p *parityRun) followsBuildKit(t *testing.T, dockerfile string, c parityCase, plugin, executor result) {
	if executor.code != 0 {
		t.Fatalf("kaniko's executor fails (exit %d); its log ends:\n%s", executor.code, tail(executor.stderr+executor.stdout, 30))
	}
	if plugin.code != 0 {
		if c.failsWith == "" || !strings.Contains(plugin.stderr, c.failsWith) {
			t.Fatalf("the plugin fails (exit %d), not as BuildKit does (%q); its log ends:\n%s", plugin.code, c.failsWith, tail(plugin.stderr, 30))
		}
	} else {
		if c.failsWith != "" {
			t.Fatalf("the plugin builds it; BuildKit fails (%s)", c.asBuildKit)
		}
		ref := stack.Registry.Addr + "/parity/" + strings.ToLower(dockerfile)
		if _, diffs := compareImages(t, ref+":plugin", ref+":executor", c.wallClock); len(diffs) == 0 {
			t.Fatalf("the plugin's image is the executor's, but should differ as BuildKit's does (%s)", c.asBuildKit)
		} else {
			t.Logf("differs from the executor's as BuildKit's does (%s):\n%s", c.asBuildKit, strings.Join(diffs, "\n"))
		}
	}
	p.note(&p.matched, dockerfile)
}

// bothFailing checks a case that both builders are expected to refuse:
// both fail, and the plugin's log holds the executor's error.
func (p *parityRun) bothFailing(t *testing.T, dockerfile string, c parityCase, plugin, executor result) {
	t.Helper()
	if c.bothFail == "" {
		t.Fatalf("both builders fail (plugin exit %d, executor exit %d), and the case is not expected to; the executor's log ends:\n%s\nthe plugin's:\n%s",
			plugin.code, executor.code, tail(executor.stderr+executor.stdout, 15), tail(plugin.stderr, 15))
	}
	if plugin.code == 0 || executor.code == 0 {
		t.Fatalf("expected both builders to fail (%s), but the plugin exits %d and the executor %d", c.bothFail, plugin.code, executor.code)
	}
	// The executor prints "error building image: <error>", the plugin logs
	// "building image: <error>".
	var want string
	for _, l := range strings.Split(executor.stderr+executor.stdout, "\n") {
		if _, e, ok := strings.Cut(l, "error building image: "); ok {
			want = "building image: " + e
		}
	}
	if want == "" || !strings.Contains(plugin.stderr, want) {
		t.Fatalf("both builders fail, but not alike: the executor with %q; the plugin's log ends:\n%s", want, tail(plugin.stderr, 15))
	}
	p.note(&p.bothFailed, dockerfile)
	t.Logf("both builders fail alike, as expected (%s): %s", c.bothFail, want)
}

// pluginSettings are the plugin's settings for a case: kaniko's CLI
// defaults wherever the plugin's own defaults differ, and what the
// executor is given below. The layer cache is off in both, as kaniko's
// suite builds these (its cache cases build twice, elsewhere), so the
// cache's options (PLUGIN_CACHE_COPY_LAYERS, ...) do not apply.
func (p *parityRun) pluginSettings(file, repo string, c parityCase) map[string]string {
	env := map[string]string{
		"PLUGIN_REPO":                           repo,
		"PLUGIN_TAGS":                           "plugin",
		"PLUGIN_DOCKERFILE":                     file,
		"PLUGIN_CONTEXT":                        contextOf(c),
		"PLUGIN_REPRODUCIBLE":                   "true",
		"PLUGIN_SNAPSHOT_MODE":                  "full",
		"PLUGIN_SKIP_UNUSED_STAGES":             "false",
		"PLUGIN_ENABLE_CACHE":                   "false",
		"PLUGIN_COMPRESSED_CACHING":             "false",
		"PLUGIN_COMPRESSION":                    "gzip",
		"PLUGIN_SINGLE_SNAPSHOT":                "false",
		"PLUGIN_USE_NEW_RUN":                    "false",
		"PLUGIN_IGNORE_VAR_RUN":                 "true",
		"PLUGIN_IMAGE_DOWNLOAD_RETRY":           "0",
		"PLUGIN_REGISTRY_MIRRORS":               p.mirror,
		"PLUGIN_REGISTRY_MAP":                   "gcr.io=" + gcrMirror(),
		"PLUGIN_SKIP_DEFAULT_REGISTRY_FALLBACK": "true",
		"PLUGIN_BUILD_ARGS":                     strings.Join(c.buildArgs, ","),
	}
	for k, v := range c.settings {
		env[k] = v
	}
	return env
}

// executorFlags are the same options as kaniko's executor flags; the
// case's own flags come last and win.
func (p *parityRun) executorFlags(file, repo string, c parityCase) []string {
	flags := []string{
		"--force", // its container check reads /proc/1, bwrap's reaper here
		"--dockerfile=/harness/" + file,
		"--context=dir:///harness/" + contextOf(c),
		"--destination=" + stack.Registry.Addr + "/" + repo + ":executor",
		"--reproducible",
		"--snapshot-mode=full",
		"--skip-unused-stages=false",
		"--cache=false",
		"--compressed-caching=false",
		"--compression=gzip",
		"--single-snapshot=false",
		"--use-new-run=false",
		"--ignore-var-run=true",
		"--image-download-retry=0",
		"--registry-mirror=" + p.mirror,
		"--registry-map=gcr.io=" + gcrMirror(),
		"--skip-default-registry-fallback",
	}
	for _, a := range c.buildArgs {
		flags = append(flags, "--build-arg="+a)
	}
	return append(flags, c.flags...)
}

// gcrMirror is where gcr.io's images are served: a prefix of the
// registry, as an ECR pull-through cache for gcr.io would be.
func gcrMirror() string { return stack.Registry.Addr + "/gcr" }

// contextOf is the case's context, relative to the workspace.
func contextOf(c parityCase) string {
	if c.context == "" {
		return "."
	}
	return c.context
}

// sandboxEnv passes env (KEY=value) into the sandbox.
func sandboxEnv(env []string) []string {
	if len(env) == 0 {
		return nil
	}
	var names []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	return append([]string{"SANDBOX_ENV=" + strings.Join(names, " ")}, env...)
}

// contextTime is every context file's time: both builders' contexts are
// copies made at different moments.
var contextTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// workspace is a copy of the directory kaniko's suite builds the
// Dockerfile in, with the modes of a git checkout (the module cache's
// files are read-only) and the case's Dockerfile as given.
func (p *parityRun) workspace(t *testing.T, sd suiteDockerfile, body string, c parityCase) string {
	ws := t.TempDir()
	err := filepath.WalkDir(sd.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sd.dir, path)
		dst := filepath.Join(ws, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, dst)
		}
		return copyFile(path, dst)
	})
	if err == nil && c.license {
		err = copyFile(filepath.Join(p.mod, "LICENSE"), filepath.Join(ws, "LICENSE"))
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(ws, sd.file), []byte(body), 0o644)
	}
	if err == nil {
		err = filepath.WalkDir(ws, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Chtimes(path, contextTime, contextTime)
		})
	}
	if err != nil {
		t.Fatalf("copying kaniko's integration context: %v", err)
	}
	return ws
}

func copyFile(src, dst string) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if info.Mode()&0o111 != 0 {
		mode = 0o755
	}
	return os.WriteFile(dst, b, mode)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// compareImages compares the plugin's image with the executor's. It
// returns how they are the same, or the differences.
func compareImages(t *testing.T, pluginRef, executorRef string, wallClock []string) (string, []string) {
	t.Helper()
	pi, pm := remoteImage(t, pluginRef)
	ei, em := remoteImage(t, executorRef)
	pid, _ := pi.ConfigName()
	eid, _ := ei.ConfigName()
	switch {
	case pm == em:
		return "same manifest " + pm.String(), nil
	case pid == eid:
		return "same image id " + pid.String() + " (manifests differ only in how the layers are compressed)", nil
	}
	pc, _ := pi.ConfigFile()
	ec, _ := ei.ConfigFile()
	pc, ec = pc.DeepCopy(), ec.DeepCopy()
	var diffs []string
	pd, ed := pc.RootFS.DiffIDs, ec.RootFS.DiffIDs
	pc.RootFS.DiffIDs, ec.RootFS.DiffIDs = nil, nil
	if d := cmp.Diff(ec, pc); d != "" {
		diffs = append(diffs, "config:\n"+d)
	}
	if len(pd) != len(ed) {
		return "", append(diffs, fmt.Sprintf("layers: the executor's image has %d, the plugin's %d", len(ed), len(pd)))
	}
	pl, _ := pi.Layers()
	el, _ := ei.Layers()
	for i := range pd {
		if pd[i] == ed[i] {
			continue
		}
		if d := layerDiff(t, el[i], pl[i], wallClock); d != "" {
			diffs = append(diffs, fmt.Sprintf("layer %d (diff id %s, plugin %s):\n%s", i, ed[i], pd[i], d))
		}
	}
	if len(diffs) > 0 {
		return "", diffs
	}
	return fmt.Sprintf("same config and files but the content of %v, which is the time of the build", wallClock), nil
}

func remoteImage(t *testing.T, ref string) (v1.Image, v1.Hash) {
	t.Helper()
	img := pullImage(t, ref)
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return img, d
}

// tarEntry is what a layer says of one path.
type tarEntry struct {
	Type               byte
	Mode               int64
	UID, GID           int
	Link               string
	Size               int64
	Content            string // sha256 of a regular file's bytes
	ModTime            int64
	Uname, Gname       string
	DevMajor, DevMinor int64
}

// layerDiff is the difference between two layers' files, the content of
// the wallClock paths aside.
func layerDiff(t *testing.T, executor, plugin v1.Layer, wallClock []string) string {
	t.Helper()
	e, p := layerEntries(t, executor), layerEntries(t, plugin)
	for _, w := range wallClock {
		for _, m := range []map[string]tarEntry{e, p} {
			if x, ok := m[w]; ok {
				x.Size, x.Content = 0, ""
				m[w] = x
			}
		}
	}
	return cmp.Diff(e, p)
}

func layerEntries(t *testing.T, l v1.Layer) map[string]tarEntry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]tarEntry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		e := tarEntry{Type: h.Typeflag, Mode: h.Mode, UID: h.Uid, GID: h.Gid, Link: h.Linkname, Size: h.Size,
			ModTime: h.ModTime.Unix(), Uname: h.Uname, Gname: h.Gname, DevMajor: h.Devmajor, DevMinor: h.Devminor}
		if h.Typeflag == tar.TypeReg {
			hash, _, err := v1.SHA256(tr)
			if err != nil {
				t.Fatal(err)
			}
			e.Content = hash.Hex
		}
		out[strings.Trim(strings.TrimPrefix(h.Name, "./"), "/")] = e
	}
}
