package sources

import "testing"

func TestIsGitTakesBuildKitsGitURLsAndNotDownloadsOrPaths(t *testing.T) {
	for src, want := range map[string]bool{
		"https://github.com/o/r.git":              true,
		"https://github.com/o/r.git#main:sub":     true,
		"https://host/o/r.git?ref=v1&subdir=x":    true,
		"http://127.0.0.1:8080/r.git":             true,
		"git@github.com:o/r.git":                  true,
		"git@github.com:o/r":                      true,
		"ssh://git@host:2222/o/r.git":             true,
		"git://host/o/r.git":                      true,
		"https://github.com/o/r":                  false, // a download: no .git
		"https://example.com/file.tar.gz":         false,
		"github.com/o/r":                          false, // indistinguishable from a path
		"./r.git":                                 false,
		"src/":                                    false,
		"https://host/o/r.git?unknown=1":          true, // git, refused when parsed
		"https://host/o/r.git?keep-git-dir=maybe": true,
	} {
		if got := IsGit(src); got != want {
			t.Errorf("IsGit(%q) = %v, want %v", src, got, want)
		}
	}
}

func TestParseGitReadsFragmentQueryAndFlagsAsBuildKitDoes(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		src      string
		keep     *bool
		checksum string
		want     Git
		err      bool
	}{
		{src: "https://h/o/r.git", want: Git{Remote: "https://h/o/r.git", Submodules: true}},
		{src: "https://h/o/r.git#v1.2:docs/site", want: Git{Remote: "https://h/o/r.git", Ref: "v1.2", SubDir: "docs/site", Submodules: true}},
		{src: "https://h/o/r.git#:docs", want: Git{Remote: "https://h/o/r.git", SubDir: "docs", Submodules: true}},
		{src: "https://h/o/r.git?ref=main&subdir=x&keep-git-dir=true&checksum=ABCDEF1", want: Git{Remote: "https://h/o/r.git", Ref: "main", SubDir: "x", KeepGitDir: true, Checksum: "abcdef1", Submodules: true}},
		{src: "https://h/o/r.git?tag=v1", want: Git{Remote: "https://h/o/r.git", Ref: "refs/tags/v1", Submodules: true}},
		{src: "https://h/o/r.git?branch=dev", want: Git{Remote: "https://h/o/r.git", Ref: "refs/heads/dev", Submodules: true}},
		{src: "https://h/o/r.git?keep-git-dir", want: Git{Remote: "https://h/o/r.git", KeepGitDir: true, Submodules: true}},
		{src: "https://h/o/r.git?mtime=commit", want: Git{Remote: "https://h/o/r.git", MTime: "commit", Submodules: true}},
		{src: "https://h/o/r.git?submodules=false", want: Git{Remote: "https://h/o/r.git"}},
		{src: "git@github.com:o/r.git#main", want: Git{Remote: "git@github.com:o/r.git", Ref: "main", Submodules: true}},
		{src: "ssh://git@h:2222/o/r.git#main:sub", want: Git{Remote: "ssh://git@h:2222/o/r.git", Ref: "main", SubDir: "sub", Submodules: true}},
		{src: "https://h/o/r.git", keep: &yes, want: Git{Remote: "https://h/o/r.git", KeepGitDir: true, Submodules: true}},
		{src: "https://h/o/r.git?keep-git-dir=false", keep: &no, want: Git{Remote: "https://h/o/r.git", Submodules: true}},
		{src: "https://h/o/r.git", checksum: "0123abcd", want: Git{Remote: "https://h/o/r.git", Checksum: "0123abcd", Submodules: true}},
		{src: "https://h/o/r.git?checksum=0123", checksum: "0123", want: Git{Remote: "https://h/o/r.git", Checksum: "0123", Submodules: true}},
		{src: "https://h/o/r.git?keep-git-dir=false", keep: &yes, err: true},
		{src: "https://h/o/r.git?checksum=0123", checksum: "4567", err: true},
		{src: "https://h/o/r.git", checksum: "sha256:0123", err: true},
		{src: "https://h/o/r.git?submodules=true", want: Git{Remote: "https://h/o/r.git", Submodules: true}},
		{src: "https://h/o/r.git?unknown=1", err: true},
		{src: "https://h/o/r.git?ref=a&ref=b", err: true},
		{src: "https://h/o/r.git#a?ref=b", want: Git{Remote: "https://h/o/r.git", Ref: "a?ref=b", Submodules: true}}, // after #, all is the fragment
		{src: "https://h/o/r.git?tag=a&branch=b", err: true},
		{src: "https://h/o/r.git?mtime=never", err: true},
	} {
		got, err := ParseGit(c.src, c.keep, c.checksum)
		if c.err != (err != nil) || !c.err && got != c.want {
			t.Errorf("ParseGit(%q, %v, %q) = %+v, %v; want %+v (error %v)", c.src, c.keep, c.checksum, got, err, c.want, c.err)
		}
	}
}
