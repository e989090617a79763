package steps

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
)

func TestSecretFileHasItsModeAndOwnerAndHidesTheOriginalUntilCleanedUp(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, f.in("/run/secrets/tok"), "the image's own file", 0o644)
	f.env = []string{"DIR=/opt/keys"}
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "secret", ID: "tok", Target: "/run/secrets/tok", Mode: u32(0o440), UID: u32(1000), GID: u32(1001)},
		{Type: "secret", ID: "tok", Target: "$DIR/tok"},
	}})
	f.age()
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(file)
	if got := mustRead(t, f.in("/run/secrets/tok")); got != "s3cr3t-value" {
		t.Errorf("secret file holds %q", got)
	}
	if mode, uid, gid := stat(t, f.in("/run/secrets/tok")); mode != 0o440 || uid != 1000 || gid != 1001 {
		t.Errorf("secret file is %o %d:%d, want 440 1000:1001", mode, uid, gid)
	}
	// Defaults, at a target expanded from the step's environment.
	if mode, uid, gid := stat(t, f.in("/opt/keys/tok")); mode != 0o400 || uid != 0 || gid != 0 {
		t.Errorf("secret file is %o %d:%d, want 400 0:0", mode, uid, gid)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
}

func TestSecretWithEnvIsReturnedForTheCommandAndNotWritten(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "secret", ID: "tok", Env: "TOKEN"}}})
	before := f.snapshot()
	f.start()
	c, rep := f.prepare(file)
	if !slices.Equal(rep.Env, []string{"TOKEN=s3cr3t-value"}) {
		t.Errorf("env %q", rep.Env)
	}
	f.same(before)
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
}

func TestMissingSecretIsAbsentUnlessRequired(t *testing.T) {
	f := newFixture(t)
	optional := f.add("o", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "secret", ID: "nope", Target: "/run/secrets/nope"}}})
	required := f.add("r", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "tmpfs", Target: "/scratch"},
		{Type: "secret", ID: "nope", Target: "/run/secrets/nope", Required: true},
	}})
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(optional)
	f.same(before)
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	_, _, err := dial(required)
	if err == nil || err.Error() != `secret "nope" is required but was not given` {
		t.Errorf("got %v", err)
	}
	f.same(before) // the tmpfs set up before the failure is gone
}

func TestMissingOptionalSecretSetsItsVariableEmptyAsBuildKitDoes(t *testing.T) {
	f := newFixture(t)
	file := f.add("e", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "secret", ID: "nope", Env: "NOPE", Target: "/run/secrets/nope"}}})
	before := f.snapshot()
	f.start()
	c, rep := f.prepare(file)
	if !slices.Equal(rep.Env, []string{"NOPE="}) {
		t.Errorf("env %q, want NOPE set and empty", rep.Env)
	}
	f.same(before) // and no file at the target
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
}

func TestCacheIsSharedByStepsWithTheSameIDAndKeptInTheStore(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, f.in("/root/.cache/image-file"), "from the image", 0o644)
	f.env = []string{"ID=go-build"}
	first := f.add("a", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "cache", ID: "$ID", Target: "/root/.cache", Mode: u32(0o770), UID: u32(7), GID: u32(8)}}})
	second := f.add("b", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "cache", ID: "go-build", Target: "/elsewhere/cache"}}})
	f.age()
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(first)
	if entries, _ := os.ReadDir(f.in("/root/.cache")); len(entries) != 0 {
		t.Errorf("a new cache holds %v", entries)
	}
	if mode, uid, gid := stat(t, f.in("/root/.cache")); mode != 0o770 || uid != 7 || gid != 8 {
		t.Errorf("new cache is %o %d:%d, want 770 7:8", mode, uid, gid)
	}
	mustWrite(t, f.in("/root/.cache/obj"), "compiled", 0o644)
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
	sum := sha256.Sum256([]byte("go-build"))
	if got := mustRead(t, filepath.Join(f.dir, "cache", hex.EncodeToString(sum[:]), "obj")); got != "compiled" {
		t.Errorf("store holds %q", got)
	}
	c, _ = f.prepare(second)
	if got := mustRead(t, f.in("/elsewhere/cache/obj")); got != "compiled" {
		t.Errorf("second step sees %q", got)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
}

// A bind from the context is what BuildKit shows (compared with it in
// plugin/integration/runtime): the context's modes, read-only or not, and
// every file owned by root, whoever owns the checkout.
func TestBindCopiesFromTheContextKeepingLinksAndModesOwnedByRoot(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, filepath.Join(f.ctx, "a"), "A", 0o750)
	mustWrite(t, filepath.Join(f.ctx, "d", "b"), "B", 0o644)
	if err := os.Symlink("a", filepath.Join(f.ctx, "link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a", "d", "link"} {
		if err := os.Lchown(filepath.Join(f.ctx, p), 1000, 2000); err != nil {
			t.Skipf("needs root to give the context another owner: %v", err)
		}
	}
	mustWrite(t, f.in("/src/original"), "image", 0o644)
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "bind", Target: "/src", ReadOnly: true},
		{Type: "bind", Source: "d/b", Target: "/rw/b"},
	}})
	f.age()
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(file)
	if got := mustRead(t, f.in("/src/d/b")); got != "B" {
		t.Errorf("copy holds %q", got)
	}
	if l, err := os.Readlink(f.in("/src/link")); err != nil || l != "a" {
		t.Errorf("link is %q, %v", l, err)
	}
	for p, want := range map[string]uint32{"/src/a": 0o750, "/src/d": 0o755, "/src/d/b": 0o644} {
		if mode, uid, gid := stat(t, f.in(p)); mode != want || uid != 0 || gid != 0 {
			t.Errorf("read-only copy %s is %o %d:%d, want %o 0:0", p, mode, uid, gid, want)
		}
	}
	if _, uid, gid := stat(t, f.in("/src/link")); uid != 0 || gid != 0 {
		t.Errorf("link is owned by %d:%d", uid, gid)
	}
	if _, err := os.Stat(f.in("/src/original")); !os.IsNotExist(err) {
		t.Errorf("the image's /src is not hidden: %v", err)
	}
	if mode, _, _ := stat(t, f.in("/rw/b")); mode != 0o644 || mustRead(t, f.in("/rw/b")) != "B" {
		t.Errorf("read-write file copy is %o", mode)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
}

func TestBindRefusesWhatIsNotInTheContext(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, filepath.Join(f.base, "outside"), "host file", 0o644)
	if err := os.Symlink("/", filepath.Join(f.ctx, "root")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(f.ctx, "parent")); err != nil {
		t.Fatal(err)
	}
	// Without scoping, both links would reach the host's file.
	mounts := map[string]dockerfile.Mount{
		"dotdot":   {Type: "bind", Source: "../outside", Target: "/x"},
		"absolute": {Type: "bind", Source: "root" + filepath.Join(f.base, "outside"), Target: "/x"},
		"relative": {Type: "bind", Source: "parent/outside", Target: "/x"},
		"from":     {Type: "bind", From: "builder", Target: "/x"},
	}
	files := map[string]string{}
	for name, m := range mounts {
		files[name] = f.add(name, dockerfile.Step{Mounts: []dockerfile.Mount{m}})
	}
	f.start()
	for name, file := range files {
		_, _, err := dial(file)
		if err == nil {
			t.Errorf("%s: bound %+v", name, mounts[name])
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := os.Lstat(f.in("/x")); !os.IsNotExist(err) {
		t.Errorf("a refused bind left /x: %v", err)
	}
}

func TestTmpfsIsAnEmptyDirectoryAtARelativeTarget(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, filepath.Join(f.work, "tmp", "old"), "image", 0o644)
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "tmpfs", Target: "tmp"}}})
	f.age()
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(file)
	if entries, err := os.ReadDir(filepath.Join(f.work, "tmp")); err != nil || len(entries) != 0 {
		t.Errorf("tmpfs holds %v, %v", entries, err)
	}
	if mode, _, _ := stat(t, filepath.Join(f.work, "tmp")); mode != 0o1777 {
		t.Errorf("tmpfs mode %o", mode)
	}
	mustWrite(t, filepath.Join(f.work, "tmp", "scratch"), "x", 0o644)
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
}

func TestSSHAgentServesTheKeyOnTheMountSocket(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	f.cfg.SSHKey = redact.Secret(pem.EncodeToMemory(block))
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{
		{Type: "ssh", ID: "default", Target: "/run/buildkit/ssh_agent.0"},
		{Type: "ssh", ID: "other", Target: "/run/buildkit/ssh_agent.1", Mode: u32(0o660), UID: u32(5)},
	}})
	before := f.snapshot()
	f.start()
	c, rep := f.prepare(file)
	sock := f.in("/run/buildkit/ssh_agent.0")
	if !slices.Equal(rep.Env, []string{"SSH_AUTH_SOCK=" + sock}) {
		t.Errorf("env %q", rep.Env)
	}
	if mode, uid, _ := stat(t, f.in("/run/buildkit/ssh_agent.1")); mode != 0o660 || uid != 5 {
		t.Errorf("second socket is %o owned by %d", mode, uid)
	}
	nc, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	keys, err := agent.NewClient(nc).List()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ssh.NewPublicKey(pub)
	if len(keys) != 1 || !bytes.Equal(keys[0].Marshal(), want.Marshal()) {
		t.Errorf("agent lists %v", keys)
	}
	// An agent client still connected must not hold the clean-up up.
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
}

func TestRequiredSSHWithoutAKeyFails(t *testing.T) {
	f := newFixture(t)
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "ssh", ID: "default", Target: "/a", Required: true}}})
	f.start()
	if _, _, err := dial(file); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("got %v", err)
	}
}

func TestScriptHeredocIsWrittenExecutableAndRemoved(t *testing.T) {
	f := newFixture(t)
	body := "#!/bin/sh\necho hi\n"
	file := f.add("s", dockerfile.Step{
		Script: "/dev/pipes/EOF", Args: []string{"/dev/pipes/EOF"},
		Heredocs: []dockerfile.Heredoc{{Name: "EOF", Data: body}},
	})
	f.age()
	before := f.snapshot()
	f.start()
	c, rep := f.prepare(file)
	script := f.in("/dev/pipes/EOF")
	if !slices.Equal(rep.Args, []string{script}) || rep.Kind != "run" {
		t.Errorf("reply %+v", rep)
	}
	if mode, _, _ := stat(t, script); mode != 0o755 || mustRead(t, script) != body {
		t.Errorf("script is %o", mode)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)
}

func TestBindLeavesOutWhatDockerignoreLeavesOutOfTheContext(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, filepath.Join(f.ctx, "src", "main.c"), "code", 0o644)
	mustWrite(t, filepath.Join(f.ctx, "src", ".env"), "TOKEN=x", 0o600)
	mustWrite(t, filepath.Join(f.ctx, "src", "obj", "main.o"), "object", 0o644)
	f.cfg.ContextIgnored = func(rel string, dir bool) bool {
		return rel == "src/.env" || rel == "src/obj" && dir
	}
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "bind", Source: "src", Target: "/src", ReadOnly: true}}})
	f.start()
	c, _ := f.prepare(file)
	defer c.finish()
	if got := mustRead(t, f.in("/src/main.c")); got != "code" {
		t.Errorf("bound main.c holds %q", got)
	}
	for _, p := range []string{"/src/.env", "/src/obj"} {
		if _, err := os.Lstat(f.in(p)); !os.IsNotExist(err) {
			t.Errorf("ignored %s is visible to the RUN: %v", p, err)
		}
	}
}

// A source that .dockerignore leaves out is not in the context to bind,
// as BuildKit finds it ("not found"): a file, or a directory of which an
// exception brings nothing back; one it brings something back from is
// there as that something's parent.
func TestBindOfASourceDockerignoreLeavesOutIsNotFound(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, filepath.Join(f.ctx, "secret.env"), "TOKEN=x", 0o600)
	mustWrite(t, filepath.Join(f.ctx, "build", "out.o"), "object", 0o644)
	mustWrite(t, filepath.Join(f.ctx, "docs", "a.md"), "a", 0o644)
	mustWrite(t, filepath.Join(f.ctx, "docs", "keep.md"), "kept", 0o644)
	// As `secret.env`, `build`, `docs`, `!docs/keep.md`, `!build/none`:
	// the exceptions make both directories worth entering.
	f.cfg.ContextIgnored = func(rel string, dir bool) bool {
		switch {
		case rel == "secret.env", rel == "build/out.o", rel == "docs/a.md":
			return true
		case rel == "build" || rel == "docs":
			return !dir
		}
		return false
	}
	files := map[string]string{}
	for _, src := range []string{"secret.env", "build", "docs"} {
		files[src] = f.add(src, dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "bind", Source: src, Target: "/m/" + src}}})
	}
	f.start()
	for _, src := range []string{"secret.env", "build"} {
		if _, _, err := dial(files[src]); err == nil || !strings.Contains(err.Error(), "not found (.dockerignore leaves it out)") {
			t.Errorf("bind of %s, which .dockerignore leaves out: %v, want not found", src, err)
		}
	}
	c, _ := f.prepare(files["docs"])
	defer c.finish()
	if got := mustRead(t, f.in("/m/docs/keep.md")); got != "kept" {
		t.Errorf("docs/keep.md, brought back by an exception, holds %q", got)
	}
	if _, err := os.Lstat(f.in("/m/docs/a.md")); !os.IsNotExist(err) {
		t.Errorf("docs/a.md is visible to the RUN: %v", err)
	}
}

func TestAMountWithoutTargetGoesToTheWorkingDirectoryButNeverToTheRoot(t *testing.T) {
	f := newFixture(t)
	mustWrite(t, filepath.Join(f.ctx, "go.mod"), "module x\n", 0o644)
	mustWrite(t, filepath.Join(f.work, "image.txt"), "image", 0o644)
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "bind", ReadOnly: true}}})
	f.age()
	before := f.snapshot()
	f.start()
	c, _ := f.prepare(file)
	if got := mustRead(t, filepath.Join(f.work, "go.mod")); got != "module x\n" {
		t.Errorf("the context is not at the working directory: %q", got)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	f.same(before)

	g := newFixture(t)
	g.cfg.proc = func(int) ([]string, string, error) { return nil, g.root, nil }
	file = g.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "tmpfs"}}})
	g.start()
	if _, _, err := dial(file); err == nil || !strings.Contains(err.Error(), "WORKDIR, which is /") {
		t.Errorf("a mount over / was set up: %v", err)
	}
}

func TestDeferredMountOptionsTakeTheStepsEnvironment(t *testing.T) {
	f := newFixture(t)
	f.env = []string{"APP_UID=1000", "M=0750"}
	file := f.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "cache", ID: "c", Target: "/owned", Sharing: "shared", Deferred: []string{"uid=$APP_UID", `mode="${M}"`}}}})
	f.start()
	c, _ := f.prepare(file)
	defer c.finish()
	if mode, uid, _ := stat(t, f.in("/owned")); mode != 0o750 || uid != 1000 {
		t.Errorf("cache is %o owned by %d, want 750 by 1000 from the step's environment", mode, uid)
	}
	g := newFixture(t)
	file = g.add("s", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "cache", ID: "c", Target: "/x", Deferred: []string{"uid=$UNSET"}}}})
	g.start()
	if _, _, err := dial(file); err == nil || !strings.Contains(err.Error(), "uid=") {
		t.Errorf("an empty uid was accepted: %v", err)
	}
}
