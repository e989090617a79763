// Package fetch brings the content of a step's sources into the plugin:
// downloads checked against their digest.
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// downloadTimeout bounds one ADD --checksum download.
const downloadTimeout = 10 * time.Minute

// Download fetches src into a new file in dir and checks that its sha256
// digest is want (sha256:<hex>).
func Download(src, want, dir string) (file string, modTime time.Time, err error) {
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
