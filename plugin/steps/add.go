package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"time"
)

// downloadTimeout bounds one ADD --checksum download.
const downloadTimeout = 10 * time.Minute

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
	tmp, modTime, err := download(src, se.step.Checksum, se.srv.cfg.Dir)
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

// download fetches src into a new file in dir and checks that its sha256
// digest is want (sha256:<hex>).
func download(src, want, dir string) (file string, modTime time.Time, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", time.Time{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("downloading %s: %w", src, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", time.Time{}, fmt.Errorf("downloading %s: %s", src, resp.Status)
	}
	out, err := os.CreateTemp(dir, ".add-*")
	if err != nil {
		return "", time.Time{}, err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), resp.Body)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); err == nil && got != want {
		err = fmt.Errorf("ADD --checksum: %s has %s, want %s", src, got, want)
	}
	if err != nil {
		os.Remove(out.Name())
		return "", time.Time{}, err
	}
	modTime, _ = http.ParseTime(resp.Header.Get("Last-Modified"))
	return out.Name(), modTime, nil
}
