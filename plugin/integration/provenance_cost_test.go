package integration

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// accessLine is a request in the registry's access log: method and path.
var accessLine = regexp.MustCompile(`"(GET|HEAD|POST|PUT|PATCH|DELETE) (/v2/[^ ?"]*)`)

// repoRequests is what the registry logged after offset for repository
// repo, and its pings (kind ping), each as "METHOD kind": kind is upload (a blob upload, opened or
// closed), blob (a blob by digest), referrers, fallback (the
// sha256-<hex> tag), manifest (by digest) or tag.
func repoRequests(log string, offset int, repo string) []string {
	var out []string
	prefix := "/v2/" + repo + "/"
	for _, m := range accessLine.FindAllStringSubmatch(log[offset:], -1) {
		if m[2] == "/v2/" {
			out = append(out, m[1]+" ping")
			continue
		}
		path, ok := strings.CutPrefix(m[2], prefix)
		if !ok {
			continue
		}
		kind := "tag"
		switch {
		case strings.HasPrefix(path, "blobs/uploads/"):
			kind = "upload"
		case strings.HasPrefix(path, "blobs/"):
			kind = "blob"
		case strings.HasPrefix(path, "referrers/"):
			kind = "referrers"
		case strings.HasPrefix(path, "manifests/sha256-"):
			kind = "fallback"
		case strings.HasPrefix(path, "manifests/sha256:"):
			kind = "manifest"
		}
		out = append(out, m[1]+" "+kind)
	}
	slices.Sort(out)
	return out
}

// minus is the requests in a that b lacks, counted: a multiset difference.
func minus(a, b []string) []string {
	left := slices.Clone(b)
	var out []string
	for _, r := range a {
		if i := slices.Index(left, r); i >= 0 {
			left = slices.Delete(left, i, i+1)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Two builds of the same shape, one with provenance off and one with it
// on (the default), push to the same repository; the second's requests to
// the registry are the first's plus the provenance: a sign-in ping, the
// referrers probe and the empty config's HEAD (once a run, during the
// build), one blob upload
// (open, close: the statement), the artifact's manifest and, since this
// registry has no referrers API, one read and one write of the fallback
// tag. The empty config is not uploaded again: an earlier build put it in
// the repository.
func TestProvenanceAddsOneBlobUploadAndItsManifestPerPushedImage(t *testing.T) {
	const repo = "prov/cost"
	addRepos(repo)
	ws := writeFiles(t, map[string]string{"Dockerfile": "FROM " + baseImage + "\nARG N\nRUN echo \"$N\" > /n\n"})
	build := func(n int, prov string) (requests []string, stderr string) {
		t.Helper()
		offset := len(stack.Registry.Log())
		r := runPlugin(t, ws, map[string]string{
			"PLUGIN_REPO": repo, "PLUGIN_TAGS": fmt.Sprintf("v%d", n), "PLUGIN_BUILD_ARGS": fmt.Sprintf("N=%d", n),
			"PLUGIN_PROVENANCE": prov,
		})
		if r.code != 0 {
			t.Fatalf("build %d: exit %d\n%s", n, r.code, r.stderr)
		}
		time.Sleep(300 * time.Millisecond) // the access log's last lines
		return repoRequests(stack.Registry.Log(), offset, repo), r.stderr
	}
	build(1, "") // the repository gets the empty config blob
	off, _ := build(2, "false")
	on, stderr := build(3, "")

	want := []string{"GET fallback", "GET ping", "GET referrers", "HEAD blob", "POST upload", "PUT fallback", "PUT manifest", "PUT upload"}
	if added := minus(on, off); !slices.Equal(added, want) {
		t.Errorf("provenance added %v, want %v\nwith it: %v\nwithout: %v", added, want, on, off)
	}
	if gone := minus(off, on); len(gone) != 0 {
		t.Errorf("the build with provenance lacks %v of the one without", gone)
	}
	image := stack.Registry.Addr + "/" + repo
	digest := digestOf(t, image+":v3")
	desc, _, _ := referrer(t, image, digest)
	if !strings.Contains(stderr, "provenance of "+digest+" attached: "+image+"@"+desc.Digest.String()) {
		t.Errorf("the log does not say the provenance was attached:\n%s", stderr)
	}
	if !strings.Contains(stderr, "provenance: the run waited ") {
		t.Errorf("the log does not say how long the run waited for the provenance:\n%s", stderr)
	}
}

// A run that attaches no provenance (the build failed, or the rebuild
// changed nothing) leaves no upload open for one: every upload it opens
// it closes, and it opens none ahead.
func TestARunThatAttachesNoProvenanceLeavesNoUploadOpen(t *testing.T) {
	const repo = "prov/none-open"
	addRepos(repo)
	for _, tc := range []struct {
		name, dockerfile string
		code             int
	}{
		{"failed build", "FROM " + baseImage + "\nRUN exit 3\n", 1},
		{"unchanged rebuild", "FROM " + baseImage + "\nRUN echo same > /s\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := writeFiles(t, map[string]string{"Dockerfile": tc.dockerfile})
			env := map[string]string{"PLUGIN_REPO": repo, "PLUGIN_TAGS": "v1", "PLUGIN_REPRODUCIBLE": "true"}
			if tc.code == 0 { // the first build pushes the image the second finds
				if r := runPlugin(t, ws, env); r.code != 0 {
					t.Fatalf("first build: exit %d\n%s", r.code, r.stderr)
				}
			}
			offset := len(stack.Registry.Log())
			r := runPlugin(t, ws, env)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			time.Sleep(300 * time.Millisecond) // the access log's last lines
			reqs := repoRequests(stack.Registry.Log(), offset, repo)
			count := func(r string) int {
				return len(slices.DeleteFunc(slices.Clone(reqs), func(s string) bool { return s != r }))
			}
			if opened, closed := count("POST upload"), count("PUT upload"); opened != closed {
				t.Errorf("uploads: %d opened, %d closed: one left open\n%v", opened, closed, reqs)
			}
			if tc.code == 0 && !slices.Contains(reqs, "GET referrers") {
				t.Errorf("the run did not prepare the provenance during the build (no referrers probe): the test proves nothing\n%v", reqs)
			}
		})
	}
}
