package builder

import (
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/image"
	"github.com/chainguard-dev/kaniko/pkg/image/remote"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"
)

// pulls are the images the build pulled by reference, with the digest of
// the manifest kaniko got: what the provenance lists as resolved
// dependencies. kaniko is one build per process, and so is this record.
var pulls struct {
	mu     sync.Mutex
	digest map[string]string // reference as the build gave it -> sha256:...
	bases  []v1.Image        // what kaniko's seam returned, for their configs
	once   sync.Once
}

func recordPull(ref string, img v1.Image) {
	d, err := img.Digest()
	if err != nil {
		return
	}
	pulls.mu.Lock()
	defer pulls.mu.Unlock()
	if pulls.digest == nil {
		pulls.digest = map[string]string{}
	}
	pulls.digest[ref] = d.String()
}

// watchBasePulls wraps kaniko's seam for base images, image.RetrieveRemoteImage,
// so that every base image the build pulls is recorded.
func watchBasePulls() {
	pulls.once.Do(func() {
		retrieve := image.RetrieveRemoteImage
		image.RetrieveRemoteImage = func(ref string, opts config.RegistryOptions, platform string) (v1.Image, error) {
			img, err := retrieve(ref, opts, platform)
			if err == nil {
				recordPull(ref, img)
				pulls.mu.Lock()
				pulls.bases = append(pulls.bases, img)
				pulls.mu.Unlock()
			}
			return img, err
		}
	})
}

var stageIndexRE = regexp.MustCompile(`^\d+$`)

// recordCopyFromImages records the images of COPY --from=<image>: kaniko
// fetches them outside its seam and keeps each as a tarball named after
// the reference in its stages folder. Asking kaniko's retrieval for the
// same reference again answers from its manifest cache: the digest the
// build used, without a request.
func recordCopyFromImages(opts *config.KanikoOptions, since time.Time) {
	dir := config.KanikoIntermediateStagesDir
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, rerr := filepath.Rel(dir, path)
		fi, ierr := d.Info()
		if rerr != nil || ierr != nil || stageIndexRE.MatchString(rel) || fi.ModTime().Before(since) {
			return nil
		}
		img, err := remote.RetrieveRemoteImage(rel, opts.RegistryOptions, opts.CustomPlatform)
		if err != nil {
			logrus.Debugf("reading the digest of %s for the provenance: %v", rel, err)
			return nil
		}
		recordPull(rel, img)
		return nil
	})
}

// Pulled returns the images the build pulled by reference, with their
// manifest digests.
func (Kaniko) Pulled() map[string]string {
	pulls.mu.Lock()
	defer pulls.mu.Unlock()
	return maps.Clone(pulls.digest)
}

// pulledBases returns the images kaniko's seam returned so far.
func pulledBases() []v1.Image {
	pulls.mu.Lock()
	defer pulls.mu.Unlock()
	return slices.Clone(pulls.bases)
}
