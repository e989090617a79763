package builder

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func TestSnapshotWatchReportsEveryTarKanikoClosesAndNothingElse(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var got []string
	stop, err := watchSnapshots(dir, func(p string) { mu.Lock(); got = append(got, p); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i < 3; i++ {
		f, err := os.CreateTemp(dir, "") // as kaniko's snapshotter names its tars
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("layer")
		f.Close()
		want = append(want, f.Name())
	}
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "stages"), 0o755)
	os.WriteFile(filepath.Join(dir, "stages", "0"), []byte("stage"), 0o644)
	stop() // reports what was closed before it
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("reported %v, want the three snapshot tars %v", got, want)
	}
}
