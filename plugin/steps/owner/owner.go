// Package owner reads the --chown and --chmod values of COPY and ADD the
// way BuildKit does, with the build root's /etc/passwd and /etc/group.
package owner

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseChmod reads --chmod: octal only, as the front end checks before
// variables are expanded.
func ParseChmod(s string) (uint32, error) {
	if s == "" {
		return 0o644, nil
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v > 0o7777 {
		return 0, fmt.Errorf("--chmod=%s: want an octal mode up to 7777", s)
	}
	return uint32(v), nil
}

// LookupFunc returns the fields of name's entry in the build root's
// /etc/passwd or /etc/group (db).
type LookupFunc func(db, name string) ([]string, error)

// ParseChown reads --chown=user[:group] the way BuildKit does: numbers
// are ids, "root" is 0, other names come from the image; a user alone
// brings its primary group (a numeric one, the same number). Unlike
// BuildKit, an unknown name is an error rather than root.
func ParseChown(s string, lookup LookupFunc) (uid, gid int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	user, group, hasGroup := strings.Cut(s, ":")
	if user == "" || hasGroup && group == "" {
		return 0, 0, fmt.Errorf("--chown=%s: want user[:group]", s)
	}
	if n, ok := number(user); ok {
		uid, gid = n, n
	} else {
		f, err := lookup("passwd", user)
		if err != nil {
			return 0, 0, fmt.Errorf("--chown=%s: %w", s, err)
		}
		if uid, ok = number(f[2]); !ok {
			return 0, 0, fmt.Errorf("--chown=%s: bad uid for %q in /etc/passwd", s, user)
		}
		if gid, ok = number(f[3]); !ok {
			return 0, 0, fmt.Errorf("--chown=%s: bad gid for %q in /etc/passwd", s, user)
		}
	}
	if !hasGroup {
		return uid, gid, nil
	}
	if n, ok := number(group); ok {
		return uid, n, nil
	}
	f, err := lookup("group", group)
	if err != nil {
		return 0, 0, fmt.Errorf("--chown=%s: %w", s, err)
	}
	if gid, ok := number(f[2]); ok {
		return uid, gid, nil
	}
	return 0, 0, fmt.Errorf("--chown=%s: bad gid for %q in /etc/group", s, group)
}

// number reads a uid or gid.
func number(s string) (int, bool) {
	if s == "root" {
		return 0, true
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return int(n), err == nil
}

// FindEntry scans a passwd or group file for name.
func FindEntry(r io.Reader, db, name string) ([]string, error) {
	want := 4 // name:password:uid:gid
	if db == "group" {
		want = 3 // name:password:gid
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) >= want && f[0] == name {
			return f, nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("no %q in /etc/%s", name, db)
}
