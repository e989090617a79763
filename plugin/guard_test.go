package plugin

import (
	"errors"
	"strings"
	"testing"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

func TestGuardRefusesOutsideKanikoOrAsNonRootUnlessForced(t *testing.T) {
	for _, tc := range []struct {
		name      string
		force     bool
		exe       string
		euid      int
		wantErr   []string
		wantWarns int
	}{
		{"image layout as root", false, "/kaniko/kaniko-ecr", 0, nil, 0},
		{"on a host", false, "/usr/local/bin/kaniko-ecr", 0, []string{"must run from /kaniko/", "PLUGIN_FORCE=true"}, 0},
		{"run as user 1000", false, "/kaniko/kaniko-ecr", 1000, []string{"must run as root (uid 1000", "runAsUser: 0"}, 0},
		{"both", false, "/tmp/kaniko-ecr", 1000, []string{"must run from /kaniko/", "must run as root"}, 0},
		{"forced", true, "/tmp/kaniko-ecr", 1000, nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warns, err := guard(tc.force, tc.exe, tc.euid)
			if len(warns) != tc.wantWarns {
				t.Errorf("warnings %q", warns)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *UnsafeError
			if !errors.As(err, &ue) || ExitCode(err) != 3 {
				t.Fatalf("err = %v, want an UnsafeError (exit 3)", err)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLowMemoryTurnsCompressedCachingOffUnlessChosen(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags settings.KanikoFlags
		limit int64
		want  bool
	}{
		{"512 MiB", settings.KanikoFlags{CompressedCaching: true}, 512 << 20, false},
		{"512 MiB, user chose true", settings.KanikoFlags{CompressedCaching: true, CompressedCachingSet: true}, 512 << 20, true},
		{"4 GiB", settings.KanikoFlags{CompressedCaching: true}, 4 << 30, true},
		{"no limit", settings.KanikoFlags{CompressedCaching: true}, 0, true},
	} {
		f := tc.flags
		lowMemoryRule(&f, tc.limit)
		if f.CompressedCaching != tc.want {
			t.Errorf("%s: compressed caching %v, want %v", tc.name, f.CompressedCaching, tc.want)
		}
	}
}
