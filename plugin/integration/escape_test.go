package integration

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// The build's root is a fresh directory; the only things outside it that
// a write from inside can reach are what the sandbox binds in, and the
// workspace (at /harness) is the one bound read-write. So the workspace,
// with a marker directory in it, is where an escaping layer entry would
// land, and what must be unchanged after the build.

// layerEntry is one tar entry of a hostile layer.
type layerEntry struct {
	name, link string
	kind       byte
	mode       int64
	owner      int // uid and gid
}

func tarDir(name string, mode int64, owner int) layerEntry {
	return layerEntry{name: name, kind: tar.TypeDir, mode: mode, owner: owner}
}
func tarSymlink(name, target string) layerEntry {
	return layerEntry{name: name, link: target, kind: tar.TypeSymlink, mode: 0o777}
}
func tarFile(name string) layerEntry { return layerEntry{name: name, kind: tar.TypeReg, mode: 0o644} }

// hostileImage is the busybox base with one more layer holding entries,
// pushed to <registry>/<repo>:latest.
func hostileImage(t *testing.T, repo string, entries []layerEntry) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.kind, Mode: e.mode, Uid: e.owner, Gid: e.owner}
		body := []byte{}
		if e.kind == tar.TypeReg {
			body = []byte("written through " + e.name + "\n")
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	base, err := localecr.BusyboxImage()
	if err != nil {
		t.Fatal(err)
	}
	layer, err := localecr.ImageFromTar(buf.Bytes(), func(*v1.ConfigFile) {})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := layer.Layers()
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, layers...)
	if err != nil {
		t.Fatal(err)
	}
	return writeImage(t, stack.Registry, stack.Registry.Addr+"/"+repo+":latest", img)
}

// fileTree describes every file under root: type and mode, owner, modification
// time, and the content or link target.
func fileTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		desc := fmt.Sprintf("%v uid=%d gid=%d mtime=%d", fi.Mode(), st.Uid, st.Gid, fi.ModTime().UnixNano())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			desc += " -> " + target
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			desc += fmt.Sprintf(" sha256=%x", sha256.Sum256(b))
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// escapeOutcome is the log's lines that say how the build treated a hostile
// entry: kaniko's skips and errors.
func escapeOutcome(log string) string {
	var b strings.Builder
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "Skipping") || strings.Contains(l, "level=error") {
			b.WriteString("\n" + l)
		}
	}
	return b.String()
}

// escapeCase is a hostile layer and what a build that keeps it inside the
// root sees.
type escapeCase struct {
	name, repo string
	// entries of the hostile layer; /harness/marker is the marker
	// directory in the workspace.
	entries []layerEntry
	// copyFrom: the hostile image is COPY --from's source, which kaniko
	// unpacks under /kaniko/<reference> rather than into "/".
	copyFrom bool
	// check runs in a RUN step after the layer is unpacked; its output
	// must be want when the build succeeds.
	check, want string
	// skipped names an entry that can only be skipped: kaniko must say so
	// when the build succeeds.
	skipped string
}

func escapeCases() []escapeCase {
	return []escapeCase{{
		// kaniko v1.25.15 made the directory by following the symlink: it
		// chowned and chmodded the marker.
		name: "absolute symlink, then a directory and a file through it",
		repo: "escape/absolute",
		entries: []layerEntry{
			tarSymlink("escape", "/harness/marker"),
			tarDir("escape/", 0o700, 4242),
			tarFile("escape/pwned"),
		},
		check: "[ -L /escape ] || stat -c '%F %a %u' /escape; cat /escape/pwned",
		want:  "directory 700 4242\nwritten through escape/pwned\n",
	}, {
		// The symlink is kept as the layer has it (base images such as
		// amazoncorretto have these); what is written through it is
		// resolved inside the root, where /harness is ignored.
		name: "relative symlink with more .. than its depth, then a file through it",
		repo: "escape/relative",
		entries: []layerEntry{
			tarSymlink("up", "../../../../harness/marker"),
			tarFile("up/pwned"),
		},
		check: "readlink /up",
		want:  "../../../../harness/marker\n",
	}, {
		// kaniko v1.25.15 fell back to the unresolved path, and crashed
		// on it.
		name:    "symlink loop, then a file through it",
		repo:    "escape/loop",
		entries: []layerEntry{tarSymlink("loopa", "loopb"), tarSymlink("loopb", "loopa"), tarFile("loopa/x")},
		check:   "readlink /loopa; readlink /loopb",
		want:    "loopb\nloopa\n",
		skipped: "loopa/x",
	}, {
		// Clamped to the extraction directory, w is a loop (w -> /harness
		// -> w); the kernel follows w to the real /harness. kaniko v1.25.15
		// fell back to the unresolved path and wrote pwned in the
		// workspace.
		name: "COPY --from an image whose symlink loops inside the root but escapes outside it",
		repo: "escape/copy-from",
		entries: []layerEntry{
			tarSymlink("harness", "w"),
			tarSymlink("w", "/harness"),
			tarFile("w/pwned"),
			tarFile("ok.txt"),
		},
		copyFrom: true,
		check:    "cat /ok.txt",
		want:     "written through ok.txt\n",
		skipped:  "w/pwned",
	}}
}

// A base image is untrusted input: a layer whose symlinks lead out of the
// build's root, or loop, is unpacked with every write kept inside the root
// (the entry skipped where it cannot be), or the build fails cleanly.
func TestBaseLayerWithEscapingSymlinkWritesNothingOutsideTheRoot(t *testing.T) {
	for _, c := range escapeCases() {
		t.Run(c.name, func(t *testing.T) {
			addRepos(c.repo)
			hostile := hostileImage(t, c.repo+"-base", c.entries)
			run := "RUN { " + c.check + "; } > /seen.txt 2>&1 || true\n"
			dockerfile := "FROM " + hostile + "\n" + run
			if c.copyFrom {
				dockerfile = "FROM " + baseImage + "\nCOPY --from=" + hostile + " /ok.txt /ok.txt\n" + run
			}
			ws := writeFiles(t, map[string]string{"Dockerfile": dockerfile, "marker/keep": "marker\n"})
			if err := os.Chmod(filepath.Join(ws, "marker"), 0o750); err != nil {
				t.Fatal(err)
			}
			before := fileTree(t, ws)

			r := runPlugin(t, ws, map[string]string{"PLUGIN_REPO": c.repo, "PLUGIN_TAGS": "v1"})
			t.Logf("exit %d%s", r.code, escapeOutcome(r.stderr))

			if diff := cmp.Diff(before, fileTree(t, ws)); diff != "" {
				t.Errorf("the build changed the workspace, outside its root (-before +after):\n%s\nlog:\n%s", diff, r.stderr)
			}
			if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
				t.Fatalf("the build crashed (exit %d):\n%s", r.code, r.stderr)
			}
			switch r.code {
			case 0:
				_, files := pulled(t, stack.Registry.Addr+"/"+c.repo+":v1")
				if got := files["seen.txt"]; got != c.want {
					t.Errorf("inside the root, %q printed %q, want %q", c.check, got, c.want)
				}
				if c.skipped != "" && !strings.Contains(r.stderr, `Skipping \"`+c.skipped+`\"`) {
					t.Errorf("the build succeeded without saying it skipped %s:\n%s", c.skipped, r.stderr)
				}
			case 1:
				if !strings.Contains(r.stderr, "level=error") {
					t.Errorf("exit 1 without an error in the log:\n%s", r.stderr)
				}
				if tagExists(t, stack.Registry.Addr+"/"+c.repo+":v1") {
					t.Error("the failed build pushed a tag")
				}
			default:
				t.Fatalf("exit %d, want 0 (entry skipped) or 1 (build refused)\n%s", r.code, r.stderr)
			}
		})
	}
}
