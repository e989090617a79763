package steps

import (
	"strconv"
	"strings"
	"testing"
)

const (
	fuzzPasswd = "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\nbroken:x:nope:1\n"
	fuzzGroup  = "root:x:0:\nstaff:x:50:app\n"
)

func fuzzLookup(db, name string) ([]string, error) {
	text := fuzzPasswd
	if db == "group" {
		text = fuzzGroup
	}
	return findEntry(strings.NewReader(text), db, name)
}

// --chown and --chmod come from the Dockerfile after variable expansion.
func FuzzParseChownAndChmod(f *testing.F) {
	for _, s := range []string{"", "0", "root", "app", "app:staff", "1000:50", ":", "a:b:c", "broken", "4755", "0644", "9", "-1", "4294967295", "4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		uid, gid, err := parseChown(s, fuzzLookup)
		if err == nil && (uid < 0 || gid < 0 || uid > 1<<32-1 || gid > 1<<32-1) {
			t.Errorf("--chown=%q gave %d:%d", s, uid, gid)
		}
		user, group, hasGroup := strings.Cut(s, ":")
		if n, perr := strconv.ParseUint(user, 10, 32); perr == nil && !hasGroup && (err != nil || uid != int(n) || gid != int(n)) {
			t.Errorf("--chown=%q gave %d:%d, %v", s, uid, gid, err)
		}
		if err == nil && hasGroup && group == "" {
			t.Errorf("--chown=%q accepted an empty group", s)
		}
		if mode, err := parseChmod(s); err == nil && mode > 0o7777 {
			t.Errorf("--chmod=%q gave %o", s, mode)
		}
	})
}
