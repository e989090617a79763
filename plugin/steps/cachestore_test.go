package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
)

// A cache whose directory in the store cannot be created fails the step
// with that reason, and leaves the build root as it was.
func TestCacheWhoseStoreCannotBeCreatedFailsTheStepSayingWhy(t *testing.T) {
	f := newFixture(t)
	file := f.add("c", dockerfile.Step{Mounts: []dockerfile.Mount{{Type: "cache", ID: "go-build", Target: "/root/.cache"}}})
	before := f.snapshot()
	f.start()
	// The store's parent, made by Start, is gone: creating the cache's
	// directory in it fails.
	if err := os.Remove(filepath.Join(f.dir, "cache")); err != nil {
		t.Fatal(err)
	}
	_, _, err := dial(file)
	if err == nil || !strings.Contains(err.Error(), "mkdir "+filepath.Join(f.dir, "cache")) {
		t.Errorf("got %v, want the error creating the cache's directory in the store", err)
	}
	f.same(before)
}
