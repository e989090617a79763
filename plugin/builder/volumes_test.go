package builder

import (
	"maps"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func TestVolumesJoinTheBaseImagesAndKeepTheRestOfTheConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		base map[string]struct{}
		add  []string
		want []string
	}{
		{name: "none declared before", add: []string{"/data", "/cache"}, want: []string{"/cache", "/data"}},
		{name: "beside the base image's, once each", base: map[string]struct{}{"/var/lib/db": {}}, add: []string{"/data", "/var/lib/db"}, want: []string{"/data", "/var/lib/db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: "amd64", Config: v1.Config{Volumes: tc.base, Env: []string{"A=b"}, WorkingDir: "/app"}})
			if err != nil {
				t.Fatal(err)
			}
			out, err := withVolumes(img, tc.add)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := out.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Sorted(maps.Keys(cf.Config.Volumes)); !slices.Equal(got, tc.want) {
				t.Errorf("volumes %q, want %q", got, tc.want)
			}
			if cf.Config.WorkingDir != "/app" || !slices.Equal(cf.Config.Env, []string{"A=b"}) || cf.OS != "linux" {
				t.Errorf("the rest of the config changed: %+v", cf.Config)
			}
			raw, _ := out.RawConfigFile()
			if !strings.Contains(string(raw), `"Volumes":{`) {
				t.Errorf("config %s", raw)
			}
		})
	}
}

func TestNoVolumesLeaveTheImageAsItIs(t *testing.T) {
	out, err := withVolumes(empty.Image, nil)
	if err != nil || out != empty.Image {
		t.Errorf("got %v, %v", out, err)
	}
}
