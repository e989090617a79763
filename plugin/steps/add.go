package steps

import (
	"io"
	"net/url"
	"os"
	"path"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/fetch"
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
