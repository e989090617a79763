package index

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is an in-process registry; it returns its host.
func testRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func pushImage(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	if err := remote.Write(mustTag(t, ref), img); err != nil {
		t.Fatal(err)
	}
}

func mustTag(t *testing.T, ref string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(ref, name.WeakValidation)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func request(sources, dests []string) Request {
	return Request{Sources: sources, Destinations: dests, Auth: authn.Anonymous}
}

func TestPublishJoinsSourcesFromTwoRepositoriesUnderEveryTag(t *testing.T) {
	host := testRegistry(t)
	amd := platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2)
	arm := platformImage(t, "linux", "arm64", "v8", types.DockerManifestSchema2)
	pushImage(t, host+"/team/app:1-amd64", amd)
	pushImage(t, host+"/team/app-arm:1", arm) // another repository: copied over
	var phases []string
	req := request([]string{host + "/team/app:1-amd64", host + "/team/app-arm:1"}, []string{host + "/team/app:1", host + "/team/app:latest"})
	req.OnPhase = func(p string) { phases = append(phases, p) }
	res, err := Publish(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sources", "push", "verify"}, phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	if res.MediaType != types.DockerManifestList || len(res.Pushed) != 2 {
		t.Errorf("result %+v: want a Docker manifest list pushed under 2 tags", res)
	}
	for _, tag := range []string{"1", "latest"} {
		idx, err := remote.Index(mustTag(t, host+"/team/app:"+tag))
		if err != nil {
			t.Fatalf("reading back %s: %v", tag, err)
		}
		if d := digestOf(t, idx); d.String() != res.Digest {
			t.Errorf("%s holds %s, Publish returned %s", tag, d, res.Digest)
		}
		want := map[string]v1.Hash{"linux/amd64": digestOf(t, amd), "linux/arm64/v8": digestOf(t, arm)}
		if diff := cmp.Diff(want, entriesOf(t, idx)); diff != "" {
			t.Errorf("%s entries (-want +got):\n%s", tag, diff)
		}
	}
	// Every entry is readable from the index's own repository.
	armInApp, err := remote.Image(mustTag(t, host+"/team/app:1").Context().Digest(digestOf(t, arm).String()))
	if err != nil {
		t.Fatalf("the arm64 image was not copied into team/app: %v", err)
	}
	if _, err := armInApp.ConfigFile(); err != nil {
		t.Errorf("the copied image's config is missing: %v", err)
	}
}

func TestPublishPushesNothingWhenTheHookRefuses(t *testing.T) {
	host := testRegistry(t)
	pushImage(t, host+"/team/app:amd64", platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2))
	req := request([]string{host + "/team/app:amd64"}, []string{host + "/team/app:1"})
	var hooked string
	req.BeforePush = func(_ context.Context, digest string) ([]string, error) {
		hooked = digest
		return nil, errors.New("tag 1 is immutable")
	}
	res, err := Publish(context.Background(), req)
	if err == nil || hooked == "" || hooked != res.Digest {
		t.Fatalf("Publish() = %+v, %v; want the hook's error after it saw the index digest", res, err)
	}
	if _, err := remote.Head(mustTag(t, host+"/team/app:1")); err == nil {
		t.Error("tag 1 was pushed although the hook refused")
	}
}

func TestPublishLeavesTagsTheHookSkipsButReadsThemBack(t *testing.T) {
	host := testRegistry(t)
	pushImage(t, host+"/team/app:amd64", platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2))
	req := request([]string{host + "/team/app:amd64"}, []string{host + "/team/app:1", host + "/team/app:2"})
	req.BeforePush = func(context.Context, string) ([]string, error) { return []string{host + "/team/app:2"}, nil }
	_, err := Publish(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "reading back "+host+"/team/app:2") {
		t.Fatalf("Publish() error = %v; want tag 2 left alone and its read-back failing", err)
	}
}

func TestReadAllWaitsForALateSourceWithBackoff(t *testing.T) {
	defer func(f, m time.Duration) { firstPoll, maxPoll = f, m }(firstPoll, maxPoll)
	firstPoll, maxPoll = 10*time.Millisecond, 40*time.Millisecond
	host := testRegistry(t)
	pushImage(t, host+"/team/app:amd64", platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2))
	var mu sync.Mutex
	calls := map[string]int{}
	fetch := remoteFetch(nil)
	counting := func(ctx context.Context, ref string) (Source, error) {
		mu.Lock()
		calls[ref]++
		mu.Unlock()
		return fetch(ctx, ref)
	}
	late := host + "/team/app:arm64"
	time.AfterFunc(150*time.Millisecond, func() {
		_ = remote.Write(mustTag(t, late), platformImage(t, "linux", "arm64", "", types.DockerManifestSchema2))
	})
	srcs, err := readAll(context.Background(), []string{host + "/team/app:amd64", late}, 10*time.Second, counting)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 2 || srcs[1].Image == nil {
		t.Fatalf("sources %+v: want both, the late one read", srcs)
	}
	if calls[host+"/team/app:amd64"] != 1 || calls[late] < 3 || calls[late] > 8 {
		t.Errorf("fetches %v: want the present source read once and the late one polled with backoff (3 to 8 times in 150ms)", calls)
	}
}

func TestReadAllGivesUpOnAMissingSourceInBoundedTime(t *testing.T) {
	defer func(f, m time.Duration) { firstPoll, maxPoll = f, m }(firstPoll, maxPoll)
	firstPoll, maxPoll = 10*time.Millisecond, 40*time.Millisecond
	host := testRegistry(t)
	pushImage(t, host+"/team/app:amd64", platformImage(t, "linux", "amd64", "", types.DockerManifestSchema2))
	for _, wait := range []time.Duration{0, 200 * time.Millisecond} {
		start := time.Now()
		_, err := readAll(context.Background(), []string{host + "/team/app:amd64", host + "/team/app:arm64", host + "/team/gone:x"}, wait, remoteFetch(nil))
		took := time.Since(start)
		var me *MissingError
		if !errors.As(err, &me) || !cmp.Equal(me.Refs, []string{host + "/team/app:arm64", host + "/team/gone:x"}) {
			t.Fatalf("wait %s: error %v; want a MissingError naming both missing sources", wait, err)
		}
		if took < wait || took > wait+2*time.Second {
			t.Errorf("wait %s: gave up after %s", wait, took)
		}
		if !strings.Contains(err.Error(), "PLUGIN_INDEX_WAIT") || !strings.Contains(err.Error(), "nothing was pushed") {
			t.Errorf("error %q does not say how to wait or that nothing was pushed", err)
		}
	}
}

func TestReadAllStopsWaitingWhenTheRunIsInterrupted(t *testing.T) {
	host := testRegistry(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := readAll(ctx, []string{host + "/team/app:never"}, time.Hour, remoteFetch(nil))
	if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Errorf("readAll() = %v after %s; want the cancellation at once", err, time.Since(start))
	}
}
