package plugin

import (
	"fmt"
	"os"
	"path/filepath"
)

// UnsafeError means the run was refused because building here could damage
// the host: kaniko unpacks base images into "/" and deletes files there.
type UnsafeError struct{ Reason string }

func (e *UnsafeError) Error() string { return e.Reason }

// kanikoDir is where the plugin's image keeps its binary; a binary there is
// taken as proof that "/" belongs to a container.
const kanikoDir = "/kaniko"

// guard refuses to build outside the plugin's own image layout, or as a
// user other than root, unless force is set.
func guard(force bool, exe string, euid int) (warnings []string, err error) {
	var problems []string
	if dir := filepath.Dir(exe); dir != kanikoDir {
		problems = append(problems, fmt.Sprintf("kaniko-ecr builds by unpacking images into / and must run from %s/ inside a container (it runs from %s); "+
			"use the plugin's image, or run it in a sandbox (see scripts/sandbox.sh), or set PLUGIN_FORCE=true if this filesystem is disposable", kanikoDir, dir))
	}
	if euid != 0 {
		problems = append(problems, fmt.Sprintf("kaniko-ecr must run as root (uid %d now): kaniko needs to own / to unpack images; "+
			"clear the step's Run as User setting (runAsUser: 0), or set PLUGIN_FORCE=true", euid))
	}
	if len(problems) == 0 {
		return nil, nil
	}
	if force {
		for _, p := range problems {
			warnings = append(warnings, "PLUGIN_FORCE=true overrides a safety check: "+p)
		}
		return warnings, nil
	}
	return nil, &UnsafeError{Reason: "refusing to build: " + joinLines(problems)}
}

func joinLines(ps []string) string {
	out := ps[0]
	for _, p := range ps[1:] {
		out += "; and " + p
	}
	return out
}

func executable() string {
	exe, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		return r
	}
	return exe
}
