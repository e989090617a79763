package runtime

import (
	"bufio"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kaniko-ecr/kaniko-ecr/scripts/localecr"
)

// A run stopped during its push ends with the documented status and leaves
// no tag behind: `docker stop` (SIGTERM, SIGKILL after the grace period)
// gives 143, and SIGINT (how Harness stops a step that timed out, SIGKILL
// following) gives 130.
func TestStoppedDuringThePushExitsWithItsStatusAndLeavesNoTag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 200 MiB twice")
	}
	for _, tc := range []struct {
		name, repo string
		stop       []string
		want       int
	}{
		{"docker stop", "sig/term", []string{"stop", "--time", "10"}, 143},
		{"SIGINT", "sig/int", []string{"kill", "--signal", "SIGINT"}, 130},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stack.API.AddRepository(localecr.Repository{Name: tc.repo})
			ws := workspaceWith(t, "FROM $BASE\nRUN head -c 209715200 /dev/urandom > /big.bin\n")
			container := strings.ReplaceAll(tc.repo, "/", "-") + fmt.Sprint(time.Now().UnixNano())
			cmd := dockerRunPlugin(t, ws, map[string]string{"PLUGIN_REPO": tc.repo, "PLUGIN_TAGS": "v1"}, "--name", container, "--memory=500m")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			var stoppedAt time.Time
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
				if stoppedAt.IsZero() && strings.Contains(sc.Text(), `msg="pushing `) {
					stoppedAt = time.Now()
					if out, err := exec.Command(docker, append(tc.stop, container)...).CombinedOutput(); err != nil {
						t.Errorf("docker %s: %v %s", tc.stop[0], err, out)
					}
				}
			}
			err = cmd.Wait()
			if stoppedAt.IsZero() {
				t.Fatalf("the run never reached its push:\n%s", tail(log.String(), 20))
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.want {
				t.Fatalf("exit %v, want %d\n%s", err, tc.want, tail(log.String(), 10))
			}
			if took := time.Since(stoppedAt); took > 8*time.Second {
				t.Errorf("the run took %s to stop", took)
			}
			ref, _ := name.ParseReference(stack.Registry.Addr + "/" + tc.repo + ":v1")
			opts, _ := stack.Registry.Options()
			if _, err := remote.Head(ref, opts...); err == nil {
				t.Errorf("tag %s exists after an interrupted push", ref)
			}
		})
	}
}
