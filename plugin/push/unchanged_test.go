package push

import (
	"net/http"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func createdAt(t *testing.T, img v1.Image, at time.Time) v1.Image {
	t.Helper()
	out, err := mutate.CreatedAt(img, v1.Time{Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestARebuildThatDiffersOnlyInItsTimeKeepsTheTagsDigestAndUploadsNothing(t *testing.T) {
	reg := newTestRegistry(t)
	base := testImage(t)
	before := createdAt(t, base, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	tags := reg.tags(t, "app", "latest")
	if err := remote.Write(tags[0], before, remote.WithTransport(reg.srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	want, _ := before.Digest()
	reg.reset()

	rebuilt := createdAt(t, base, time.Now())
	res := publish(t, reg.session(t), rebuilt, tags, func(r *Request) { r.KeepCreated = true })
	if res.Digest != want.String() {
		t.Errorf("digest %s, want the tag's %s", res.Digest, want)
	}
	if !res.Unchanged || res.Uploaded != 0 {
		t.Errorf("Unchanged %v, Uploaded %d; want true, 0", res.Unchanged, res.Uploaded)
	}
	for _, r := range reg.requests() {
		if r.method == http.MethodPut || r.method == http.MethodPatch || r.method == http.MethodPost {
			t.Errorf("%s %s: nothing should be written", r.method, r.path)
		}
	}
}

func TestARebuildThatDiffersInMoreThanItsTimeKeepsItsOwnTime(t *testing.T) {
	reg := newTestRegistry(t)
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tags := reg.tags(t, "app", "latest")
	if err := remote.Write(tags[0], createdAt(t, testImage(t), old), remote.WithTransport(reg.srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	res := publish(t, reg.session(t), createdAt(t, testImage(t), now), tags, func(r *Request) { r.KeepCreated = true })
	cf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Created.Equal(now) {
		t.Errorf("created %s, want the build's own %s", cf.Created, now)
	}
	if res.Unchanged || res.Uploaded == 0 {
		t.Errorf("Unchanged %v, Uploaded %d; want false and the new blobs counted", res.Unchanged, res.Uploaded)
	}
}

func TestWithoutKeepCreatedTheBuildsTimeStands(t *testing.T) {
	reg := newTestRegistry(t)
	base := testImage(t)
	tags := reg.tags(t, "app", "latest")
	if err := remote.Write(tags[0], createdAt(t, base, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), remote.WithTransport(reg.srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	rebuilt := createdAt(t, base, time.Now())
	want, _ := rebuilt.Digest()
	res := publish(t, reg.session(t), rebuilt, tags, nil)
	if res.Digest != want.String() || res.Unchanged {
		t.Errorf("digest %s (unchanged %v), want the build's own %s", res.Digest, res.Unchanged, want)
	}
	if res.Uploaded != 1 {
		t.Errorf("uploaded %d blobs, want 1 (the new config)", res.Uploaded)
	}
}
