// Package referrer attaches an artifact to a manifest as an OCI 1.1
// referrer, in as few requests as the distribution spec allows: what a
// repository needs (a signed-in client, whether the registry answers the
// referrers API, whether the empty config blob is there) is learned once,
// and each artifact costs one upload (open and close) and its manifest,
// plus, without the referrers API, one read and one write of the fallback
// tag, all while the image is pushed.
package referrer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyDigest is the digest of emptyJSON.
var emptyDigest = v1.Hash{Algorithm: "sha256", Hex: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}

// referrerAPI is what a probe learned of a registry's referrers API.
type referrerAPI int

const (
	apiUnknown referrerAPI = iota // the repository was not there yet: ask again
	apiYes
	apiNo // write the sha256-<hex> fallback tag
)

// Repo is what attaching to one repository learns once and shares
// between the artifacts: one authenticated client (one ping, one
// token), whether the registry answers the referrers API, and whether the
// repository holds the empty config blob already.
type Repo struct {
	repo   name.Repository
	client *http.Client

	mu      sync.Mutex
	api     referrerAPI
	emptyMu sync.Mutex
	empty   bool // the empty blob is in the repository
}

// Open signs in to repo's registry once (a ping, and a token where the
// registry hands them out), asks whether it answers the referrers API and
// whether the repository holds the empty config blob, and uploads that
// where it does not: two bytes every artifact shares, once per repository
// (the run opens it while the build runs, before anything is pushed).
// It opens no upload ahead: one left open when nothing is attached (an
// unchanged rebuild, a failed build) would cost a request to cancel.
func Open(ctx context.Context, repo name.Repository, auth authn.Authenticator, tr http.RoundTripper) (*Repo, error) {
	rt, err := transport.NewWithContext(ctx, repo.Registry, auth, tr, []string{repo.Scope(transport.PushScope)})
	if err != nil {
		return nil, fmt.Errorf("signing in to %s for the referrer: %w", repo.RegistryStr(), err)
	}
	a := &Repo{repo: repo, client: &http.Client{Transport: rt}}
	var wg sync.WaitGroup
	wg.Go(func() { a.api = a.probe(ctx, emptyDigest) })
	wg.Go(func() { a.empty = a.has(ctx, emptyDigest) || a.upload(ctx, emptyJSON, emptyDigest) == nil })
	wg.Wait()
	return a, nil
}

func (a *Repo) referrersAPI() referrerAPI {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.api
}

func (a *Repo) setReferrersAPI(api referrerAPI) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.api = api
}

func (a *Repo) url(path string) string {
	u := url.URL{Scheme: a.repo.Scheme(), Host: a.repo.RegistryStr(), Path: "/v2/" + a.repo.RepositoryStr() + path}
	return u.String()
}

// do sends one request; a response with a status other than want is an
// error with the registry's reason. A network error is tried once more.
func (a *Repo) do(ctx context.Context, method, u string, body []byte, header http.Header, want ...int) (*http.Response, error) {
	var resp *http.Response
	var err error
	for try := 0; try < 2; try++ {
		var req *http.Request
		req, err = http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if body == nil {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		for k, v := range header {
			req.Header[k] = v
		}
		if resp, err = a.client.Do(req); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if err := transport.CheckError(resp, want...); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// drain reads what is left of a response and closes it, so that its
// connection serves the next request.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// probe asks whether the registry answers the referrers API. A registry
// that does answers 200 with an index for any digest; one that does not
// answers 404 (distribution 2.8) or 400 or 405. A 404 that names the
// repository unknown says neither: the repository is new.
func (a *Repo) probe(ctx context.Context, d v1.Hash) referrerAPI {
	resp, err := a.do(ctx, http.MethodGet, a.url("/referrers/"+d.String()), nil, http.Header{"Accept": {string(types.OCIImageIndex)}}, http.StatusOK)
	if err == nil {
		drain(resp)
		return apiYes
	}
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		for _, e := range terr.Errors {
			if e.Code == transport.NameUnknownErrorCode {
				return apiUnknown
			}
		}
	}
	return apiNo
}

// has says whether the repository holds the blob d.
func (a *Repo) has(ctx context.Context, d v1.Hash) bool {
	resp, err := a.do(ctx, http.MethodHead, a.url("/blobs/"+d.String()), nil, nil, http.StatusOK)
	if err != nil {
		return false
	}
	drain(resp)
	return true
}

// upload puts a small blob in two requests: open an upload, then close it
// with the bytes and the digest (the distribution spec's monolithic
// upload). There is no existence check: the caller knows the blob is new.
func (a *Repo) upload(ctx context.Context, blob []byte, d v1.Hash) error {
	loc, err := a.open(ctx)
	if err != nil {
		return err
	}
	return a.close(ctx, loc, blob, d)
}

// open opens an upload and returns where to send it.
func (a *Repo) open(ctx context.Context) (*url.URL, error) {
	resp, err := a.do(ctx, http.MethodPost, a.url("/blobs/uploads/"), nil, nil, http.StatusAccepted)
	if err != nil {
		return nil, err
	}
	drain(resp)
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return nil, fmt.Errorf("the registry opened an upload with no usable Location (%q)", resp.Header.Get("Location"))
	}
	return loc, nil
}

// close sends the blob to the open upload at loc and closes it.
func (a *Repo) close(ctx context.Context, loc *url.URL, blob []byte, d v1.Hash) error {
	u := *loc
	q := u.Query()
	q.Set("digest", d.String())
	u.RawQuery = q.Encode()
	h := http.Header{"Content-Type": {"application/octet-stream"}}
	resp, err := a.do(ctx, http.MethodPut, u.String(), blob, h, http.StatusCreated)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// ensureEmpty uploads the empty config blob unless the repository holds it.
func (a *Repo) ensureEmpty(ctx context.Context) error {
	a.emptyMu.Lock()
	defer a.emptyMu.Unlock()
	if a.empty {
		return nil
	}
	if err := a.upload(ctx, emptyJSON, emptyDigest); err != nil {
		return err
	}
	a.empty = true
	return nil
}

// putManifest writes a manifest by reference and says whether the
// registry took its subject (the OCI-Subject header).
func (a *Repo) putManifest(ctx context.Context, ref string, raw []byte, mt types.MediaType) (subject bool, err error) {
	resp, err := a.do(ctx, http.MethodPut, a.url("/manifests/"+ref), raw, http.Header{"Content-Type": {string(mt)}}, http.StatusOK, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		return false, err
	}
	drain(resp)
	return resp.Header.Get("OCI-Subject") != "", nil
}

// fallback is the index under a subject's fallback tag, and the bytes
// the tag held (nil: it was not there).
type fallback struct {
	index *v1.IndexManifest
	raw   []byte
}

// fallbackIndex reads the index under the subject's fallback tag; none
// there is an empty index.
func (a *Repo) fallbackIndex(ctx context.Context, subject v1.Hash) (*fallback, error) {
	resp, err := a.do(ctx, http.MethodGet, a.url("/manifests/"+fallbackTag(subject)), nil, http.Header{"Accept": {string(types.OCIImageIndex)}}, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	fb := &fallback{index: &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}}
	if resp.StatusCode == http.StatusNotFound {
		return fb, nil
	}
	if fb.raw, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20)); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(fb.raw, fb.index); err != nil {
		return nil, fmt.Errorf("reading the fallback tag %s: %w", fallbackTag(subject), err)
	}
	if fb.index.MediaType != types.OCIImageIndex {
		return nil, fmt.Errorf("the fallback tag %s holds %s, not an OCI image index", fallbackTag(subject), fb.index.MediaType)
	}
	return fb, nil
}

// restore puts back under the subject's fallback tag what it held before
// fw: the earlier index, or no tag at all. A registry that cannot delete
// a tag (docker-registry) deletes the index fw wrote, and with it the tag.
func (a *Repo) restore(ctx context.Context, subject v1.Hash, fw *fallbackWrite) error {
	if fw.prev != nil {
		_, err := a.putManifest(ctx, fallbackTag(subject), fw.prev, types.OCIImageIndex)
		return err
	}
	if err := a.remove(ctx, fallbackTag(subject)); err == nil {
		return nil
	}
	return a.remove(ctx, fw.index.String())
}

// remove deletes a manifest by digest, or a tag.
func (a *Repo) remove(ctx context.Context, ref string) error {
	resp, err := a.do(ctx, http.MethodDelete, a.url("/manifests/"+ref), nil, nil, http.StatusAccepted, http.StatusOK)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// fallbackTag is the referrers tag schema's tag of a subject.
func fallbackTag(d v1.Hash) string {
	return strings.Replace(d.String(), ":", "-", 1)
}
