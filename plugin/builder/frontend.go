package builder

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/chainguard-dev/kaniko/pkg/creds"
	"github.com/chainguard-dev/kaniko/pkg/util"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/builder/cachemounts"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/buildinput"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/gitsource"
)

// frontend is what the Dockerfile front end needs around one kaniko build:
// the steps it made, written where the step helper reads them, and the
// server that prepares their mounts.
type frontend struct {
	dir      string // <kaniko dir>/.kaniko-ecr
	server   *steps.Server
	cacheDir string // PLUGIN_CACHE_MOUNT_DIR, empty: the build's own
	remote   *cachemounts.Remote
	cacheIDs map[string]string
}

// startFrontend writes the steps and starts their server. Cache mounts kept
// in PLUGIN_CACHE_MOUNT_DIR are restored first.
func startFrontend(p *settings.Plan, opts *config.KanikoOptions, gits gitsource.Sources) (*frontend, error) {
	kanikoDir := opts.KanikoDir
	f := &frontend{dir: filepath.Dir(settings.StepDir(kanikoDir)), cacheDir: p.CacheMountDir}
	res := p.Frontend
	if res == nil || len(res.Steps) == 0 {
		return f, nil
	}
	stepDir := settings.StepDir(kanikoDir)
	if err := os.MkdirAll(stepDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", stepDir, err)
	}
	byID := map[string]dockerfile.Step{}
	for _, s := range res.Steps {
		b, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		// Readable by a RUN step's USER; a step holds no secret value.
		if err := os.WriteFile(filepath.Join(stepDir, s.ID+".json"), b, 0o644); err != nil {
			return nil, fmt.Errorf("writing step of line %d: %w", s.Line, err)
		}
		byID[s.ID] = s
	}
	if _, err := os.Stat(f.cacheDir); f.cacheDir != "" && err == nil {
		if err := copyTree(f.cacheDir, filepath.Join(f.dir, "cache")); err != nil {
			return nil, fmt.Errorf("restoring cache mounts from PLUGIN_CACHE_MOUNT_DIR: %w", err)
		}
	}
	if err := f.restoreRemote(p, opts); err != nil {
		return nil, err
	}
	// Validation has read the file already; it cannot fail but by a race.
	ignore, err := buildinput.ContextIgnore(p.Context, p.Dockerfile)
	if err != nil {
		return nil, fmt.Errorf("PLUGIN_CONTEXT: %w", err)
	}
	srv, err := steps.Start(steps.Config{
		Root:           "/",
		Dir:            f.dir,
		Steps:          byID,
		Secrets:        p.BuildSecrets,
		SSHKey:         p.SSHKey,
		Context:        p.Context,
		IgnoreList:     kanikoIgnoreList,
		ContextIgnored: ignore.Skips,
		Registry:       mountRegistry(opts),
		Git:            gits,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the step server: %w", err)
	}
	f.server = srv
	return f, nil
}

// failure is why a step could not be set up, naming its line, if one
// could not: the reason kaniko's build failed.
func (f *frontend) failure() error {
	if f == nil || f.server == nil {
		return nil
	}
	return f.server.Failure()
}

// stop undoes whatever a step left set up, saves the cache mounts to
// PLUGIN_CACHE_MOUNT_DIR when the build succeeded, and removes the steps.
func (f *frontend) stop(built bool) error {
	if f == nil || f.server == nil {
		return nil
	}
	err := f.server.Close()
	if built && f.remote != nil {
		f.remote.Save(f.cacheIDs, f.dir)
	}
	if built && f.cacheDir != "" {
		cache := filepath.Join(f.dir, "cache")
		if _, serr := os.Stat(cache); serr == nil {
			if cerr := replaceTree(cache, f.cacheDir); cerr != nil {
				err = errors.Join(err, fmt.Errorf("saving cache mounts to PLUGIN_CACHE_MOUNT_DIR: %w", cerr))
			}
		}
	}
	return errors.Join(err, os.RemoveAll(f.dir))
}

// restoreRemote pulls the cache mounts kept in the registry
// (PLUGIN_CACHE_MOUNT_REMOTE) into the step server's store.
func (f *frontend) restoreRemote(p *settings.Plan, opts *config.KanikoOptions) error {
	if p.CacheMountRepo == "" {
		return nil
	}
	f.cacheIDs = cachemounts.IDs(p.Frontend.Steps)
	if len(f.cacheIDs) == 0 {
		return nil
	}
	repo, err := name.NewRepository(p.CacheMountRepo)
	if err != nil {
		return fmt.Errorf("PLUGIN_CACHE_MOUNT_REMOTE: %w", err)
	}
	tr, err := util.MakeTransport(opts.RegistryOptions, repo.RegistryStr())
	if err != nil {
		return fmt.Errorf("making transport for %s: %w", repo.RegistryStr(), err)
	}
	store := filepath.Join(f.dir, "cache")
	if err := os.MkdirAll(store, 0o700); err != nil {
		return err
	}
	if f.remote, err = cachemounts.New(p.CacheMountRepo, creds.GetKeychain(), tr, store); err != nil {
		return err
	}
	f.remote.Restore(f.cacheIDs)
	return nil
}

// restoreHistory puts each rewritten instruction back into the image's
// history as it was written: created_by never shows the step helper.
func restoreHistory(img v1.Image, original map[string]string) (v1.Image, error) {
	if len(original) == 0 {
		return img, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	changed := false
	for i, h := range cf.History {
		if o, ok := original[h.CreatedBy]; ok {
			cf.History[i].CreatedBy = o
			changed = true
		}
	}
	if !changed {
		return img, nil
	}
	return mutate.ConfigFile(img, cf)
}

// copyTree copies the directory src to dst, keeping modes and links.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFileMode(path, target, info.Mode().Perm())
		}
		return nil // sockets and devices are not cache content
	})
}

// replaceTree makes dst a copy of src.
func replaceTree(src, dst string) error {
	tmp := dst + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := copyTree(src, tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

func copyFileMode(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
