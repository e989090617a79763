package steps

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
)

// roleEnv makes the test binary play another process when re-executed.
const roleEnv = "STEPS_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "client": // argv: exe step <file>, as kaniko starts it
		os.Exit(Main(os.Args[2:]))
	case "impostor": // argv: exe step <file> extra, which kaniko never runs
		os.Exit(Main(os.Args[2:3]))
	case "wait": // a process whose command line the peer check reads
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fixture is a build root, a helper directory and a build context in a
// temporary directory, with a server whose peer is the test itself.
type fixture struct {
	t               *testing.T
	base, root, dir string
	ctx, work       string
	cfg             Config
	env             []string // the in-process peer's environment
}

// old is the time every fixture file starts with, so that a changed
// modification time cannot go unnoticed.
var old = time.Date(2001, 2, 3, 4, 5, 6, 7, time.UTC)

func newFixture(t *testing.T) *fixture {
	// Short, unlike t.TempDir(): a unix socket path has at most 107 bytes.
	base, err := os.MkdirTemp("", "steps")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	f := &fixture{t: t, base: base, root: filepath.Join(base, "root"), ctx: filepath.Join(base, "ctx")}
	f.dir = filepath.Join(f.root, "kaniko", ".kaniko-ecr")
	f.work = filepath.Join(f.root, "work")
	for _, d := range []string{f.ctx, f.work, filepath.Join(f.dir, "steps"), filepath.Join(f.root, "etc")} {
		mustMkdir(t, d)
	}
	f.cfg = Config{
		Root: f.root, Dir: f.dir, Context: f.ctx,
		Steps:   map[string]dockerfile.Step{},
		Secrets: map[string]redact.Secret{"tok": "s3cr3t-value"},
		Peer:    func(int, string) error { return nil },
		proc:    func(int) ([]string, string, error) { return f.env, f.work, nil },
	}
	return f
}

// add registers a step and writes its file, returning the file's path.
func (f *fixture) add(id string, st dockerfile.Step) string {
	f.t.Helper()
	st.ID = id
	if st.Kind == "" {
		st.Kind = "run"
	}
	f.cfg.Steps[id] = st
	file := filepath.Join(f.dir, "steps", id+".json")
	raw, err := json.Marshal(st)
	if err != nil {
		f.t.Fatal(err)
	}
	mustWrite(f.t, file, string(raw), 0o644)
	return file
}

func (f *fixture) start() *Server {
	f.t.Helper()
	s, err := Start(f.cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		if err := s.Close(); err != nil {
			f.t.Errorf("Close: %v", err)
		}
	})
	return s
}

// prepare plays the client up to the command.
func (f *fixture) prepare(file string) (*conn, reply) {
	f.t.Helper()
	c, rep, err := dial(file)
	if err != nil {
		f.t.Fatalf("prepare: %v", err)
	}
	return c, rep
}

// in is the real path of a build-root path.
func (f *fixture) in(p string) string { return filepath.Join(f.root, p) }

// snapshot describes every entry of the build root but the helper's
// directory, as kaniko's snapshot would see it: type, mode, owner, size,
// modification time, link target and content.
func (f *fixture) snapshot() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(f.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == filepath.Join(f.root, "kaniko") {
			if err == nil {
				err = filepath.SkipDir
			}
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v %d:%d %d %s", fi.Mode(), st.Uid, st.Gid, fi.Size(), fi.ModTime().UTC().Format(time.RFC3339Nano))
		if fi.Mode()&fs.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			desc += " -> " + l
		} else if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			desc += " " + string(b)
		}
		out[strings.TrimPrefix(p, f.root)] = desc
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// age sets every file and directory of the build root to old.
func (f *fixture) age() {
	f.t.Helper()
	err := filepath.WalkDir(f.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// same fails unless the build root is as in before.
func (f *fixture) same(before map[string]string) {
	f.t.Helper()
	if d := cmp.Diff(before, f.snapshot()); d != "" {
		f.t.Errorf("the build root changed (-before +after):\n%s", d)
	}
}

func mustMkdir(t *testing.T, d string) {
	t.Helper()
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	mustMkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stat returns p's permission bits (set-id and sticky included) and owner.
func stat(t *testing.T, p string) (uint32, uint32, uint32) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Mode &^ syscall.S_IFMT, st.Uid, st.Gid
}

func u32(v uint32) *uint32 { return &v }

// eventually polls cond for up to five seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
