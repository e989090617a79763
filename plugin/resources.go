package plugin

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// cgroup files holding the memory limit: v2 first, then v1.
var memoryLimitFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// noLimit is larger than any v1 "unlimited" value is sensible to treat as a limit.
const noLimit = int64(1) << 60

// memoryLimit reads the container's memory limit. ok is false when no
// cgroup file could be read; limit is 0 when the cgroup sets none.
func memoryLimit(root string) (limit int64, source string, ok bool) {
	for _, f := range memoryLimitFiles {
		raw, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(raw))
		if v == "max" {
			return 0, f, true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		if n >= noLimit {
			return 0, f, true
		}
		return n, f, true
	}
	return 0, "", false
}

// lowMemory is where kaniko's compressed caching (which keeps layers in
// memory while compressing) tends to get a build OOM-killed.
const lowMemory = 1 << 30

// parallelism is what the Go runtime uses (it follows the cgroup CPU quota).
func parallelism() (gomaxprocs, cpus int) {
	return runtime.GOMAXPROCS(0), runtime.NumCPU()
}

// mountPointOf returns the longest mount point in /proc/self/mountinfo that
// holds path, or "" when mountinfo cannot be read.
func mountPointOf(path string) string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	best := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	return best
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lowMemoryRule turns compressed caching off under a memory limit below
// 1 GiB, unless the user set it. It reports whether it changed anything.
func lowMemoryRule(f *settings.KanikoFlags, limit int64) bool {
	if limit <= 0 || limit >= lowMemory || f.CompressedCachingSet || !f.CompressedCaching {
		return false
	}
	f.CompressedCaching = false
	return true
}
