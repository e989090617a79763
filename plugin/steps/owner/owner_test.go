package owner

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
	return FindEntry(strings.NewReader(text), db, name)
}

// --chown and --chmod come from the Dockerfile after variable expansion.
func FuzzParseChownAndChmod(f *testing.F) {
	for _, s := range []string{"", "0", "root", "app", "app:staff", "1000:50", ":", "a:b:c", "broken", "4755", "0644", "9", "-1", "4294967295", "4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		uid, gid, err := ParseChown(s, fuzzLookup)
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
		if mode, err := ParseChmod(s); err == nil && mode > 0o7777 {
			t.Errorf("--chmod=%q gave %o", s, mode)
		}
	})
}

func TestParseChownAndChmodRefuseMalformedValues(t *testing.T) {
	none := func(db, name string) ([]string, error) { return FindEntry(strings.NewReader(""), db, name) }
	for _, s := range []string{":", "a:", ":1", "1:b", "-1", "99999999999"} {
		if uid, gid, err := ParseChown(s, none); err == nil {
			t.Errorf("--chown=%s gave %d:%d", s, uid, gid)
		}
	}
	for _, s := range []string{"8", "u+x", "17777", "-1", " 644"} {
		if m, err := ParseChmod(s); err == nil {
			t.Errorf("--chmod=%s gave %o", s, m)
		}
	}
}
