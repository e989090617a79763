package pick

import (
	"fmt"
	"io/fs"
	"strconv"
	"syscall"

	mode "github.com/tonistiigi/dchapes-mode"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/owner"
)

// chmodOf reads --chmod as BuildKit's copy does: an octal mode is every
// entry's, and the mode of the directories the copy creates; a symbolic
// one (u+x, go-w, a=rX, ...) is applied to each entry's own mode, with no
// umask, and created directories get 0755. Without --chmod, entries keep
// their modes (nil).
func chmodOf(s string) (func(fs.FileMode) uint32, uint32, error) {
	if s == "" {
		return nil, 0o755, nil
	}
	if _, err := strconv.ParseUint(s, 8, 32); err == nil {
		m, err := owner.ParseChmod(s)
		if err != nil {
			return nil, 0, err
		}
		return func(fs.FileMode) uint32 { return m }, m, nil
	}
	set, err := mode.ParseWithUmask(s, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("--chmod=%s: %w", s, err)
	}
	return func(m fs.FileMode) uint32 { return unixMode(set.Apply(m)) }, 0o755, nil
}

// unixMode is m's permission and set-id bits as chmod(2) takes them.
func unixMode(m fs.FileMode) uint32 {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= syscall.S_ISUID
	}
	if m&fs.ModeSetgid != 0 {
		v |= syscall.S_ISGID
	}
	if m&fs.ModeSticky != 0 {
		v |= syscall.S_ISVTX
	}
	return v
}
