package plugin

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMemoryLimitReadsCgroupV2ThenV1(t *testing.T) {
	for _, tc := range []struct {
		name      string
		files     map[string]string
		wantLimit int64
		wantOK    bool
	}{
		{"v2 limit", map[string]string{"sys/fs/cgroup/memory.max": "536870912\n"}, 512 << 20, true},
		{"v2 unlimited", map[string]string{"sys/fs/cgroup/memory.max": "max\n"}, 0, true},
		{"v1 limit", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648"}, 2 << 30, true},
		{"v1 unlimited", map[string]string{"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712"}, 0, true},
		{"none readable", map[string]string{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for f, body := range tc.files {
				p := filepath.Join(root, f)
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(body), 0o644)
			}
			got, _, ok := memoryLimit(root)
			if got != tc.wantLimit || ok != tc.wantOK {
				t.Errorf("memoryLimit = %d, %v; want %d, %v", got, ok, tc.wantLimit, tc.wantOK)
			}
		})
	}
}

func TestMountPointOfFindsTheLongestMount(t *testing.T) {
	if mountPointOf("/") != "/" {
		t.Skip("no /proc/self/mountinfo here")
	}
	if got := mountPointOf("/proc/self/status"); got != "/proc" {
		t.Errorf("mountPointOf(/proc/self/status) = %q", got)
	}
	if unescapeMount(`/a\040b`) != "/a b" {
		t.Error("octal escape not undone")
	}
}
