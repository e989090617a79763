// Package outputs is the last stage of a run: the files that tell the
// pipeline what was pushed (Harness's artifact file, the digest files,
// Drone's DRONE_OUTPUT). Each is written atomically, only after success.
package outputs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// artifact is Harness's docker/v1 artifact, what its Artifacts tab reads:
// the same shape plugins/kaniko-ecr writes.
type artifact struct {
	Kind string       `json:"kind"`
	Data artifactData `json:"data"`
}

type artifactData struct {
	RegistryType string          `json:"registryType"`
	RegistryURL  string          `json:"registryUrl"`
	Images       []artifactImage `json:"images"`
	// Provenance lists the digests of the provenance attached to the
	// image (OCI 1.1 referrers); Harness ignores what it does not know.
	Provenance []string `json:"provenanceDigests,omitempty"`
}

type artifactImage struct {
	Image  string `json:"image"` // <repo>:<tag>, no host: Harness joins the two
	Digest string `json:"digest"`
}

// Image is what the run built and pushed.
type Image struct {
	Digest  string // sha256:..., of the manifest
	Pushed  bool   // every tag of the plan was pushed and read back
	TarPath string // where a tarball was written, if one was
	// Provenance are the digests of the provenance attached, one per
	// pushed manifest (per platform in index mode).
	Provenance []string
}

// Write writes every output file the settings ask for. It runs only after
// a successful push (or build, with PLUGIN_NO_PUSH).
func Write(p *settings.Plan, res Image) error {
	pushed := res.Pushed
	if p.ArtifactFile != "" && pushed {
		a := artifact{Kind: "docker/v1", Data: artifactData{RegistryType: "ECR", RegistryURL: p.RegistryURL, Provenance: res.Provenance}}
		for _, t := range p.Tags {
			a.Data.Images = append(a.Data.Images, artifactImage{Image: p.Repo + ":" + t, Digest: res.Digest})
		}
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(p.ArtifactFile, b); err != nil {
			return fmt.Errorf("writing PLUGIN_ARTIFACT_FILE: %w", err)
		}
	}
	if p.DigestFile != "" && res.Digest != "" {
		if err := writeFileAtomic(p.DigestFile, []byte(res.Digest)); err != nil {
			return fmt.Errorf("writing PLUGIN_DIGEST_FILE: %w", err)
		}
	}
	if pushed {
		if err := writeNameFiles(p, res.Digest); err != nil {
			return err
		}
	}
	if p.DroneOutput != "" {
		var lines []string
		if res.Digest != "" {
			lines = append(lines, "digest="+res.Digest)
		}
		if pushed {
			lines = append(lines, "image="+p.Image()+"@"+res.Digest, "tags="+strings.Join(p.Tags, ","))
		}
		if len(res.Provenance) > 0 {
			lines = append(lines, "provenance_digest="+strings.Join(res.Provenance, ","))
		}
		if res.TarPath != "" {
			lines = append(lines, "IMAGE_TAR_PATH="+res.TarPath)
		}
		if err := appendFileAtomic(p.DroneOutput, strings.Join(lines, "\n")+"\n"); err != nil {
			return fmt.Errorf("writing DRONE_OUTPUT: %w", err)
		}
	}
	return nil
}

// writeNameFiles writes the files that name the pushed image, in kaniko's
// formats.
func writeNameFiles(p *settings.Plan, digest string) error {
	if p.ImageNameDigestFile != "" {
		// kaniko's format: one <repository>@<digest> line per destination.
		var b strings.Builder
		for range p.Tags {
			fmt.Fprintf(&b, "%s@%s\n", p.Image(), digest)
		}
		if err := writeFileAtomic(p.ImageNameDigestFile, []byte(b.String())); err != nil {
			return fmt.Errorf("writing PLUGIN_IMAGE_NAME_WITH_DIGEST_FILE: %w", err)
		}
	}
	if p.ImageNameTagDigest != "" {
		// kaniko's format: one <repository>:<tag>@<digest> line per destination.
		var b strings.Builder
		for _, d := range p.Destinations() {
			fmt.Fprintf(&b, "%s@%s\n", d, digest)
		}
		if err := writeFileAtomic(p.ImageNameTagDigest, []byte(b.String())); err != nil {
			return fmt.Errorf("writing PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE: %w", err)
		}
	}
	return nil
}

// writeFileAtomic creates the parent folders, then replaces path with data
// through a temporary file, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// appendFileAtomic keeps what path already holds (other steps' outputs)
// and adds text.
func appendFileAtomic(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	return writeFileAtomic(path, append(old, text...))
}
