// Package buildinput reads what a BuildKit Dockerfile's build takes from
// outside the Dockerfile: build secrets, from the settings' item syntaxes,
// and digests of build context content for bind mounts. It is a pure
// helper of package settings.
package buildinput

import (
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/steps/pick"
)

// MaxSecretSize is BuildKit's limit on one build secret.
const MaxSecretSize = 500 << 10

// Source says where one build secret's value comes from: a variable
// of the step's environment, or a file.
type Source struct {
	ID, Env, File string
}

// ParseItem parses an id=ENV_VAR or id=path item of
// PLUGIN_SECRETS_FROM_ENV or PLUGIN_SECRETS_FROM_FILE.
func ParseItem(item string, fromEnv bool) (Source, error) {
	id, v, ok := strings.Cut(item, "=")
	id, v = strings.TrimSpace(id), strings.TrimSpace(v)
	switch {
	case !ok || id == "" || v == "":
		what := "path"
		if fromEnv {
			what = "ENV_VAR"
		}
		return Source{}, fmt.Errorf("%q is not id=%s", item, what)
	case fromEnv:
		return Source{ID: id, Env: v}, nil
	}
	return Source{ID: id, File: v}, nil
}

// ParseBuildx parses one item of PLUGIN_SECRET in buildx's syntax:
// comma-separated key=value fields id, type (file or env), src or source,
// and env. With neither a file nor a variable, the variable named after the
// id is used, as buildx does.
func ParseBuildx(item string) (Source, error) {
	fields, err := csv.NewReader(strings.NewReader(item)).Read()
	if err != nil {
		return Source{}, fmt.Errorf("%q is not comma-separated key=value fields: %v", item, err)
	}
	var s Source
	typ := ""
	for _, f := range fields {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return Source{}, fmt.Errorf("%q: field %q is not key=value", item, f)
		}
		switch strings.ToLower(k) {
		case "id":
			s.ID = v
		case "type":
			typ = v
		case "src", "source":
			s.File = v
		case "env":
			s.Env = v
		default:
			return Source{}, fmt.Errorf("%q: unknown field %q (want id, type, src or env)", item, k)
		}
	}
	switch {
	case typ != "" && typ != "file" && typ != "env":
		return Source{}, fmt.Errorf("%q: type %q is neither file nor env", item, typ)
	case s.ID == "" && s.File != "":
		s.ID = filepath.Base(s.File)
	case s.ID == "" && s.Env != "":
		s.ID = s.Env
	}
	if s.ID == "" {
		return Source{}, fmt.Errorf("%q has no id", item)
	}
	if typ == "env" && s.Env == "" {
		s.Env, s.File = cmp.Or(s.File, s.ID), ""
	}
	if s.Env == "" && s.File == "" {
		s.Env = s.ID
	}
	return s, nil
}

// ContextHash returns a function that digests a file or directory of the
// build context (the whole context for ""): names, modes, link targets and
// contents, in a fixed order, leaving out what the context's .dockerignore
// leaves out (see ContextIgnore; dockerfile is the Dockerfile's path).
func ContextHash(context, dockerfile string) func(string) (string, error) {
	return func(source string) (string, error) {
		ig, err := ContextIgnore(context, dockerfile)
		if err != nil {
			return "", err
		}
		root := filepath.Join(context, filepath.FromSlash(source))
		if _, err := os.Lstat(root); err != nil {
			return "", fmt.Errorf("%s is not in the build context", cmp.Or(source, "."))
		}
		if ig.Skips(path.Clean(cmp.Or(source, ".")), false) {
			return "", fmt.Errorf("%s is left out of the build context by %s", source, ig.File)
		}
		h := sha256.New()
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if crel, err := filepath.Rel(context, path); err == nil && ig.Skips(filepath.ToSlash(crel), d.IsDir()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			fmt.Fprintf(h, "%s\x00%o\x00", filepath.ToSlash(rel), info.Mode())
			return pick.HashEntry(h, path, info.Mode())
		})
		if err != nil {
			return "", fmt.Errorf("reading %s in the build context: %v", cmp.Or(source, "."), err)
		}
		return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
	}
}

// Read reads one secret's value from the environment (lookup) or from a
// file relative to dir. Errors name the variable or the file, never the
// value.
func Read(src Source, lookup func(string) (string, bool), dir string) (redact.Secret, error) {
	if src.Env != "" {
		v, ok := lookup(src.Env)
		if !ok {
			return "", fmt.Errorf("secret %q comes from the variable %s, which is not set", src.ID, src.Env)
		}
		return redact.Secret(v), nil
	}
	path := src.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("secret %q: %v", src.ID, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretSize+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("secret %q: reading %s: %v", src.ID, src.File, err)
	case len(b) > MaxSecretSize:
		return "", fmt.Errorf("secret %q: %s is larger than %d KiB, BuildKit's limit for a secret", src.ID, src.File, MaxSecretSize>>10)
	}
	return redact.Secret(b), nil
}

// qemuArch is the name binfmt handlers (qemu-user's) use for an
// architecture where it differs from Go's.
var qemuArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i386", "mips64le": "mips64el", "loong64": "loongarch64"}

// ForeignArch returns platform's architecture and whether this machine's
// processor cannot run its programs natively.
func ForeignArch(platform string) (arch string, foreign bool) {
	p, err := platforms.Parse(platform)
	if err != nil {
		return "", false
	}
	p = platforms.Normalize(p)
	host := platforms.Normalize(platforms.DefaultSpec())
	return p.Architecture, p.Architecture != host.Architecture
}

// BinfmtDir is where the kernel lists its binfmt handlers.
const BinfmtDir = "/proc/sys/fs/binfmt_misc"

// Binfmt reports whether an enabled binfmt handler in dir runs programs of
// arch (qemu-user registers them as qemu-<arch>).
func Binfmt(dir, arch string) bool {
	name := cmp.Or(qemuArch[arch], arch)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if n := e.Name(); n != name && !strings.HasSuffix(n, "-"+name) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(string(b), "enabled") {
			return true
		}
	}
	return false
}
