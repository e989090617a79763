package steps

import (
	"context"
	"io"
	"net/url"
	"os"
	"path"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/fetch"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/gitsource"
)

// addChecksum does ADD --checksum=sha256:... <url> <dest>, which kaniko
// would do without the check: the plugin downloads the file into its own
// directory, compares its digest, and only then writes it where ADD
// would, with ADD's mode for downloads (0600 unless --chmod) and the
// server's Last-Modified time. A mismatch fails the step, so the build
// fails and nothing is pushed.
func (se *session) addChecksum() error {
	src := se.step.URL
	if err := se.expand(&src); err != nil {
		return err
	}
	tmp, modTime, err := fetch.Download(src, se.step.Checksum, se.srv.cfg.Dir)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	u, err := url.Parse(src)
	if err != nil {
		return err
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." {
		name = "index.html"
	}
	f := newFile{name: name, modTime: modTime, content: func() (io.ReadCloser, error) { return os.Open(tmp) }}
	return se.writeFiles([]newFile{f}, 0o600)
}

// addGit does ADD of a git source, at the commit the builder resolved.
func (se *session) addGit() error {
	dest, chmod, chown := se.step.Dest+"/", se.step.Chmod, se.step.Chown
	if err := se.expand(&dest, &chmod, &chown); err != nil {
		return err
	}
	dir, o, err := gitsource.Destination(se.fs.Root(), se.path(dest), chmod, chown, se.lookup)
	if err != nil {
		return err
	}
	return se.srv.cfg.Git.Add(context.Background(), se.step.ID, *se.step.Git, se.srv.cfg.Dir, dir, o)
}
