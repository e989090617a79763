package plugin

import "golang.org/x/sys/unix"

// Harden marks the process non-dumpable. kaniko runs RUN steps as root
// children of this process, in the same root and pid namespace; without
// CAP_SYS_PTRACE (Docker's and Kubernetes' default capability sets lack it)
// they can then no longer read its /proc/<pid>/environ, cmdline, mem or fd,
// where the settings' secrets and the credentials in memory live. main
// calls it first, before anything reads a setting; a failure is logged once
// logging is set up.
func Harden() {
	hardenErr = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
