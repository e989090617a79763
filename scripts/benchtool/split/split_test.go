package split

import (
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

const (
	kCopy   = "github.com/chainguard-dev/kaniko/pkg/commands.(*CopyCommand).ExecuteCommand"
	kBuild  = "github.com/chainguard-dev/kaniko/pkg/executor.(*stageBuilder).build"
	kLayer  = "github.com/chainguard-dev/kaniko/pkg/executor.(*stageBuilder).saveSnapshotToLayer"
	gzipGo  = "github.com/google/go-containerregistry/internal/gzip.ReadCloserLevel.func1"
	ourPush = "github.com/kaniko-ecr/kaniko-ecr/plugin/push.(*Session).uploadBlobs"
)

// Each sample lands in the first rule that matches, in the documented
// order: GC wherever it runs, the same gzip code as kaniko's digest pass in
// the build and as our compression in the push, kaniko's steps by their
// own functions.
func TestClassifyFollowsTheRulesInOrder(t *testing.T) {
	for _, tc := range []struct {
		phase string
		stack []string // innermost first
		part  string
	}{
		{"build", []string{"runtime.gcDrainN", "runtime.gcAssistAlloc", "runtime.mallocgc", "io.Copy", "github.com/chainguard-dev/kaniko/pkg/util.CopyFile", kCopy, kBuild}, PartGC},
		{"", []string{"runtime.gcDrain", "runtime.gcBgMarkWorker"}, PartGC},
		{"build", []string{"syscall.openat", "os.Create", "github.com/chainguard-dev/kaniko/pkg/util.CreateFile", "github.com/chainguard-dev/kaniko/pkg/util.CopyFile", kCopy, kBuild}, "copy into the root"},
		{"build", []string{"compress/flate.(*compressor).write", "compress/gzip.(*Writer).Write", gzipGo}, "digest pass"},
		{"push", []string{"compress/flate.(*compressor).write", "compress/gzip.(*Writer).Write", gzipGo}, "push: compress"},
		{"", []string{"github.com/klauspost/compress/flate.(*compressor).write", "github.com/klauspost/pgzip.(*Writer).Write", ourPush}, "push: compress"},
		{"build", []string{"crypto/sha256.block", "github.com/google/go-containerregistry/pkg/v1.SHA256", "github.com/google/go-containerregistry/pkg/v1/tarball.computeDiffID", kLayer, kBuild}, "diff id (sha256 of the tar)"},
		{"build", []string{"archive/tar.(*Writer).Write", "github.com/chainguard-dev/kaniko/pkg/util.(*Tar).AddFileToTar", "github.com/chainguard-dev/kaniko/pkg/snapshot.writeToTar", "github.com/chainguard-dev/kaniko/pkg/snapshot.(*Snapshotter).TakeSnapshot", kBuild}, "snapshot tar"},
		{"build", []string{"github.com/chainguard-dev/kaniko/pkg/util.Hasher.func1", "github.com/chainguard-dev/kaniko/pkg/snapshot.(*LayeredMap).Add", "github.com/chainguard-dev/kaniko/pkg/snapshot.(*Snapshotter).TakeSnapshot"}, "snapshot hashing"},
		// util.Hasher inlined into the executor, as a real profile names it.
		{"build", []string{"io.CopyBuffer", "github.com/chainguard-dev/kaniko/pkg/executor.getHasher.Hasher.func3", "github.com/chainguard-dev/kaniko/pkg/snapshot.(*LayeredMap).Add.func1", "github.com/chainguard-dev/kaniko/pkg/snapshot.(*Snapshotter).TakeSnapshot"}, "snapshot hashing"},
		{"build", []string{"syscall.Lstat", "github.com/chainguard-dev/kaniko/pkg/util.gowalkDir", "github.com/chainguard-dev/kaniko/pkg/snapshot.(*Snapshotter).scanFullFilesystem"}, "snapshot walk"},
		{"push", []string{"crypto/tls.(*Conn).Write", "net/http.(*persistConn).writeLoop"}, "push: upload"},
		{"build", []string{"github.com/klauspost/compress/flate.(*compressor).write", "github.com/klauspost/pgzip.(*Writer).compressBlock"}, "push: compress"},
		{"build", []string{"crypto/sha256.(*Digest).Write", "github.com/kaniko-ecr/kaniko-ecr/plugin/push/spool.compressTo"}, "push: compress"},
		{"push", []string{"github.com/klauspost/compress/zstd.(*Encoder).Write", "github.com/kaniko-ecr/kaniko-ecr/plugin/push/spool.compressTo", "github.com/kaniko-ecr/kaniko-ecr/plugin/push/spool.(*Layer).start.func1"}, "push: compress"},
		{"verify", []string{"net/http.(*persistConn).readLoop"}, "read-back"},
		{"", []string{"runtime.findRunnable", "runtime.schedule"}, PartRuntime},
		{"", []string{"os/signal.loop"}, PartOther},
	} {
		if part, _ := Classify(tc.phase, tc.stack); part != tc.part {
			t.Errorf("phase %q, stack %s: part %q, want %q", tc.phase, strings.Join(tc.stack, " < "), part, tc.part)
		}
	}
}

func TestReadPhases(t *testing.T) {
	got, err := ReadPhases(strings.NewReader("settings\t0.010\nbuild\t3.151\ntotal\t3.867\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].Phase != "build" || got[1].Value != 3.151 {
		t.Errorf("readPhases: %+v", got)
	}
}

// buckets adds up a CPU profile's samples by phase label and part, in
// seconds, and reports what fell to "other".
func TestBucketsSumSamplesByPhaseAndPart(t *testing.T) {
	fn := func(id uint64, name string) *profile.Location {
		return &profile.Location{ID: id, Line: []profile.Line{{Function: &profile.Function{ID: id, Name: name}}}}
	}
	gz, copyFn, sig := fn(1, gzipGo), fn(2, kCopy), fn(3, "os/signal.loop")
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{gz}, Value: []int64{1, 10e6}, Label: map[string][]string{"phase": {"build"}}},
			{Location: []*profile.Location{gz}, Value: []int64{2, 20e6}, Label: map[string][]string{"phase": {"build"}}},
			{Location: []*profile.Location{gz}, Value: []int64{4, 40e6}, Label: map[string][]string{"phase": {"push"}}},
			{Location: []*profile.Location{copyFn}, Value: []int64{8, 80e6}, Label: map[string][]string{"phase": {"build"}}},
			{Location: []*profile.Location{sig}, Value: []int64{1, 10e6}},
		},
	}
	other := map[string]float64{}
	bs, err := Buckets(p, "cpu", other)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, b := range bs {
		got[b.Phase+"/"+b.Part] = b.Value
	}
	want := map[string]float64{"build/digest pass": 0.03, "push/push: compress": 0.04, "build/copy into the root": 0.08, "/other": 0.01}
	for k, v := range want {
		if d := got[k] - v; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: %v s, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("buckets: %v, want %v", got, want)
	}
	if other["os/signal.loop"] != 0.01 {
		t.Errorf("unmatched: %v", other)
	}
	if _, err := Buckets(p, "alloc_space", nil); err == nil {
		t.Error("want an error for a sample type the profile lacks")
	}
}

// The build's wall time splits by the step the build goroutine (the one
// in kaniko's DoBuild) was in at each tick; other goroutines do not count,
// and ticks without it are the build phase's own work outside kaniko.
func TestWallBucketsSplitTheBuildByTheBuildGoroutine(t *testing.T) {
	const doBuild = "github.com/chainguard-dev/kaniko/pkg/executor.DoBuild"
	wall := "ticks\tbuild\t10\nticks\tpush\t3\n" +
		"stack\tbuild\t6\tsyscall.openat;github.com/chainguard-dev/kaniko/pkg/util.CopyFile;" + kCopy + ";" + kBuild + ";" + doBuild + "\n" +
		"stack\tbuild\t2\tgithub.com/google/go-containerregistry/pkg/v1/tarball.computeDigest;" + kLayer + ";" + kBuild + ";" + doBuild + "\n" +
		"stack\tbuild\t10\truntime.gopark;os/signal.signal_recv\n" +
		"stack\tbuild\t10\t" + gzipGo + "\n" +
		"stack\tpush\t3\t" + kCopy + ";" + doBuild + "\n"
	bs, err := WallBuckets(strings.NewReader(wall), 5.0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, b := range bs {
		got[b.Part] = b.Value
	}
	want := map[string]float64{"copy into the root": 3.0, "digest pass": 1.0, PartOutside: 1.0}
	if len(got) != len(want) {
		t.Errorf("wall buckets %v, want %v", got, want)
	}
	for k, v := range want {
		if d := got[k] - v; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: %v s, want %v", k, got[k], v)
		}
	}
}
