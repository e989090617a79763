// Package split puts the samples of the plugin's profiles (written under
// KANIKO_ECR_PROFILE, plugin/profile.go) into the parts of a run: the
// plugin's phases, kaniko's build steps, the push's compression and upload,
// by the functions on each sample's stack. docs/BENCHMARKS.md ("Profiles")
// lists the rules.
package split

import (
	"slices"
	"strings"
)

// Who owns a part of a run's time: our code, kaniko's, or the floor's (what
// any builder must do: tar, gzip, upload).
const (
	OwnOurs   = "ours"
	OwnKaniko = "kaniko's"
	OwnFloor  = "floor's"
	OwnGo     = "Go runtime"
)

// Frame prefixes the rules name more than once.
const (
	kanikoPkg = "github.com/chainguard-dev/kaniko/pkg/"
	ggcrPkg   = "github.com/google/go-containerregistry/"
	ourPkg    = "github.com/kaniko-ecr/kaniko-ecr/"
)

// compression is every gzip implementation a layer goes through: Go's
// (go-containerregistry's internal/gzip wraps it), klauspost's.
var compression = []string{"compress/flate.", "compress/gzip.", ggcrPkg + "internal/gzip.",
	"github.com/klauspost/compress/", "github.com/klauspost/pgzip."}

// network is HTTP, TLS and the socket below them.
var network = []string{"net/http.", "golang.org/x/net/http2.", "net/http/internal", "crypto/tls.", "net.",
	"internal/poll.", "syscall.", ggcrPkg + "pkg/v1/remote."}

// rule puts a CPU sample into a part of the run when the sample's phase
// label (set by the plugin while profiling: plugin/profile.go) is one of
// phases (any, when empty) and its stack has a frame whose function name
// starts with one of frames (any stack, when empty) and, when also is set,
// another that starts with one of also.
type rule struct {
	part, owner string
	phases      []string
	frames      []string
	also        []string
}

// rules, in order: a sample goes to the first that matches, so each is
// counted once, and the more specific rules come first. GC is GC wherever it
// happens, and the wall-clock sampler is the profiler's; then the push's
// compression wherever our push package (or its spool) runs it;
// then kaniko's build steps, each named by its own functions; then the push
// and the read-back by phase; then the phases without a split; the rest is
// the Go runtime's (a stack of runtime frames only) or "other".
var rules = []rule{
	{part: PartGC, owner: OwnGo, frames: []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.bgsweep",
		"runtime.bgscavenge", "runtime.GC", "runtime.(*sweepLocked).sweep", "runtime.sweepone", "runtime._GC"}},
	{part: PartProfiler, owner: "–", frames: []string{ourPkg + "plugin.(*wallProfile)", "runtime/pprof."}},
	{part: "push: compress", owner: OwnFloor, frames: []string{ourPkg + "plugin/push.", ourPkg + "plugin/push/spool."}, also: compression},
	// pgzip's block goroutines carry none of our frames, and kaniko never
	// uses pgzip; compressTo also hashes what it compresses.
	{part: "push: compress", owner: OwnFloor, frames: []string{"github.com/klauspost/pgzip.", ourPkg + "plugin/push/spool.compressTo"}},

	{part: "unpack the base image", owner: OwnKaniko, phases: []string{"build"},
		frames: []string{kanikoPkg + "util.GetFSFromImage", kanikoPkg + "util.GetFSFromLayers", kanikoPkg + "util.ExtractFile"}},
	{part: "cache key", owner: OwnKaniko, phases: []string{"build"},
		frames: []string{kanikoPkg + "executor.(*stageBuilder).populateCompositeKey", kanikoPkg + "executor.(*CompositeCache)", kanikoPkg + "util.CacheHasher"}},
	{part: "diff id (sha256 of the tar)", owner: OwnKaniko, phases: []string{"build"},
		frames: []string{ggcrPkg + "pkg/v1/tarball.computeDiffID"}},
	{part: "digest pass", owner: OwnKaniko, phases: []string{"build"},
		frames: append([]string{ggcrPkg + "pkg/v1/tarball.computeDigest"}, compression...)},
	{part: "snapshot tar", owner: OwnFloor, phases: []string{"build"},
		frames: []string{kanikoPkg + "snapshot.writeToTar", kanikoPkg + "util.(*Tar)", "archive/tar."}},
	{part: "snapshot hashing", owner: OwnKaniko, phases: []string{"build"},
		frames: []string{kanikoPkg + "snapshot.(*LayeredMap).Add", kanikoPkg + "snapshot.(*LayeredMap).CheckFileChange",
			kanikoPkg + "executor.getHasher", kanikoPkg + "util.Hasher", kanikoPkg + "util.RedoHasher", kanikoPkg + "util.MtimeHasher"}},
	{part: "snapshot walk", owner: OwnKaniko, phases: []string{"build"},
		frames: []string{kanikoPkg + "snapshot.", kanikoPkg + "util.WalkFS", kanikoPkg + "util.gowalkDir", kanikoPkg + "filesystem."}},
	{part: "copy into the root", owner: OwnKaniko, phases: []string{"build"},
		frames: []string{kanikoPkg + "commands.(*CopyCommand)", kanikoPkg + "util.Copy"}},
	{part: "kaniko, other", owner: OwnKaniko, phases: []string{"build"}, frames: []string{"github.com/chainguard-dev/kaniko/"}},
	{part: "build, ours", owner: OwnOurs, phases: []string{"build"}, frames: []string{ourPkg}},

	{part: "push: compress", owner: OwnFloor, phases: []string{"upload", "compress", "push"}, frames: compression},
	{part: "push: upload", owner: OwnFloor, phases: []string{"upload", "push"}, frames: network},
	{part: "push, other", owner: OwnOurs, phases: []string{"upload", "compress", "push"}, frames: []string{ourPkg, ggcrPkg}},
	{part: "read-back", owner: OwnOurs, phases: []string{"verify"}},
	{part: "settings and front end", owner: OwnOurs, phases: []string{"settings"}},
	{part: "auth", owner: OwnOurs, phases: []string{"auth"}},
	{part: "provenance", owner: OwnOurs, phases: []string{"provenance"}},
	{part: "outputs", owner: OwnOurs, phases: []string{"outputs"}},
	{part: "tarball", owner: OwnOurs, phases: []string{"tar"}},
}

const (
	PartGC       = "GC"
	PartProfiler = "profiler"
	PartOutside  = "build, outside kaniko"
	PartRuntime  = "Go runtime, other"
	PartOther    = "other"
)

// Classify returns the part and owner of a sample with phase label phase
// and stack funcs (innermost first).
func Classify(phase string, funcs []string) (part, owner string) {
	has := func(prefixes []string) bool {
		for _, f := range funcs {
			for _, p := range prefixes {
				if strings.HasPrefix(f, p) {
					return true
				}
			}
		}
		return false
	}
	for _, r := range rules {
		if len(r.phases) > 0 && !slices.Contains(r.phases, phase) {
			continue
		}
		if (len(r.frames) == 0 || has(r.frames)) && (len(r.also) == 0 || has(r.also)) {
			return r.part, r.owner
		}
	}
	for _, f := range funcs {
		if !strings.HasPrefix(f, "runtime.") && !strings.HasPrefix(f, "internal/runtime/") {
			return PartOther, "–"
		}
	}
	return PartRuntime, OwnGo
}

// Parts is every part a rule can give, in rule order, then the runtime's
// and "other".
func Parts() []string {
	var out []string
	for _, r := range rules {
		if !slices.Contains(out, r.part) {
			out = append(out, r.part)
		}
	}
	return append(out, PartRuntime, PartOther)
}
