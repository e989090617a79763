package builder

import (
	"os/exec"
	"strings"
	"testing"
)

// Only this package may import kaniko: plugin and docker stay testable and
// safe to run anywhere, and main only wires things together.
func TestOnlyBuilderImportsKaniko(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "github.com/kaniko-ecr/kaniko-ecr/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const kaniko = "github.com/chainguard-dev/kaniko"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if pkg == "github.com/kaniko-ecr/kaniko-ecr/builder" {
			continue
		}
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, kaniko) {
				t.Errorf("%s imports %s; only builder may import kaniko", pkg, imp)
			}
		}
	}
	// plugin and docker must not even depend on kaniko indirectly.
	for _, pkg := range []string{"plugin", "docker"} {
		deps, err := exec.Command("go", "list", "-deps", "github.com/kaniko-ecr/kaniko-ecr/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		if strings.Contains(string(deps), kaniko) {
			t.Errorf("%s depends on kaniko", pkg)
		}
	}
}
