// Package copykey gives the COPY lines of a Dockerfile what kaniko's cache
// key of a COPY lacks, so a cached layer is never stale where BuildKit
// would rebuild.
package copykey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/chainguard-dev/kaniko/pkg/commands"
	"github.com/chainguard-dev/kaniko/pkg/config"
	kdockerfile "github.com/chainguard-dev/kaniko/pkg/dockerfile"
	"github.com/chainguard-dev/kaniko/pkg/util"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"
)

// Flag is what Key adds to a COPY line, followed by a token.
//
// kaniko's cache key of a COPY is the keys before it, the line as written
// and, for each source, its mode, owner and content. Three things are
// missing, and each can give a stale layer where BuildKit rebuilds:
//   - the names under a directory or matched by a wildcard (a file renamed
//     with the same content keeps the key; the image keeps the old name);
//   - the values of the variables the line uses (dest, --chown, --chmod,
//     or a relative dest under a WORKDIR that uses one): only RUN's key
//     holds the build args;
//   - for COPY --from a stage, the names in that stage's output.
//
// Key gives each such COPY what its key lacks, as a flag that
// changes the line kaniko keys and nothing else: --exclude=<token>, a
// pattern no file matches (kaniko ignores --exclude; the front end turns
// every COPY or ADD with the user's --exclude into a step, a RUN line, so
// on a COPY line it is never the user's). The token is a digest of
// the names (and, where the line uses variables, of their values); for
// COPY --from a stage, of everything that stage's output can
// depend on. COPY --from an image named by tag alone, and a line whose
// sources cannot be resolved before the build, get a random token: never
// cached. An ADD that only copies files of the context, which kaniko
// never caches, is given to kaniko as such a COPY (localAdd). The history
// gets the lines back as written (Keys.Restore).
const Flag = " --exclude="

// Keys is what Key made: the Dockerfile kaniko builds (Dockerfile) and
// what to put back in the history after the build (Restore: added text ->
// original).
type Keys struct {
	Dockerfile []byte
	Restore    map[string]string
}

// copyLine is one COPY (or ADD of local files, made a COPY) of the
// Dockerfile and what its key needs.
type copyLine struct {
	line     int    // 1-based
	add      string // an ADD made a COPY: its keyword as written
	misread  bool   // an ADD kaniko would fail: a source it takes for an archive is none
	stage    string // "": the build context
	upto     int    // for a stage: the line after it (0: the end)
	pinned   bool   // --from an image pinned by digest
	files    []string
	vals     string // the line, or a WORKDIR before it, uses variables: their values
	wildcard bool
	err      error
}

// scan walks the Dockerfile's stages as kaniko will, without building.
type scan struct {
	opts     *config.KanikoOptions
	fc       util.FileContext
	declared map[string]int // arg name -> the line declaring it first (0: before any FROM)
	names    []string       // of the stages
	starts   []int          // the line of each stage's FROM
	copies   []copyLine
	addsOnly bool // see scanDockerfile
}

// Key returns the Dockerfile df (as kaniko will read it, with opts) with
// the key flags described at Flag.
func Key(df []byte, opts *config.KanikoOptions) (Keys, error) {
	sc, err := scanDockerfile(df, opts, false)
	if err != nil {
		return Keys{Dockerfile: df}, err
	}
	return Keys{Dockerfile: df}.apply(df, sc.copies, sc.fc, func(upto int) string { return argsDigest(opts.BuildArgs, sc.declared, upto) })
}

// scanDockerfile reads df's stages as kaniko will, with opts, and each
// COPY, and ADD of local files, in them; with addsOnly, only the ADDs,
// and not the files they take.
func scanDockerfile(df []byte, opts *config.KanikoOptions, addsOnly bool) (*scan, error) {
	stages, metaArgs, err := kdockerfile.Parse(df)
	if err != nil {
		return nil, err
	}
	fc, err := util.NewFileContextFromDockerfile(opts.DockerfilePath, opts.SrcContext)
	if err != nil {
		return nil, err
	}
	sc := &scan{opts: opts, fc: fc, declared: map[string]int{}, addsOnly: addsOnly}
	for _, m := range metaArgs {
		for _, kv := range m.Args {
			sc.declared[kv.Key] = 0
		}
	}
	for _, st := range stages {
		sc.names = append(sc.names, st.Name)
		sc.starts = append(sc.starts, 0)
		if len(st.Location) > 0 {
			sc.starts[len(sc.starts)-1] = st.Location[0].Start.Line
		}
	}
	for i, st := range stages {
		args := kdockerfile.NewBuildArgs(opts.BuildArgs)
		args.AddMetaArgs(metaArgs)
		cfg, workdirs := v1.Config{}, ""
		for _, ins := range st.Commands {
			cmd, err := commands.GetCommand(ins, fc, false, true, true)
			if loc := ins.Location(); err == nil && cmd != nil && len(loc) > 0 {
				sc.command(cmd, loc[0].Start.Line, i, args, &cfg, &workdirs)
			}
		}
	}
	return sc, nil
}

// command takes in one instruction of stage i: what changes the args and
// the environment as kaniko will see them, and each COPY.
func (sc *scan) command(cmd commands.DockerCommand, line, i int, args *kdockerfile.BuildArgs, cfg *v1.Config, workdirs *string) {
	text := cmd.String()
	switch c := cmd.(type) {
	case *commands.ArgCommand:
		for _, f := range strings.Fields(text)[1:] {
			if k, _, _ := strings.Cut(f, "="); !has(sc.declared, k) {
				sc.declared[k] = line
			}
		}
		_ = c.ExecuteCommand(cfg, args)
	case *commands.EnvCommand:
		_ = c.ExecuteCommand(cfg, args)
	case *commands.WorkdirCommand:
		*workdirs += " " + text
	case *commands.AddCommand:
		if kw, misread, ok := localAdd(text, sc.fc, args.ReplacementEnvs(cfg.Env)); ok {
			cl := copyLine{line: line, add: kw, misread: misread, wildcard: strings.ContainsAny(text, "*?["), vals: valuesUsed(text+*workdirs, args.ReplacementEnvs(cfg.Env))}
			if !sc.addsOnly {
				cl.files, cl.err = c.FilesUsedFromContext(cfg, args)
			}
			sc.copies = append(sc.copies, cl)
		}
	case *commands.CopyCommand:
		if sc.addsOnly {
			return
		}
		cl := copyLine{line: line, wildcard: strings.ContainsAny(text, "*?["), vals: valuesUsed(text+*workdirs, args.ReplacementEnvs(cfg.Env))}
		if from := c.From(); from != "" {
			cl.stage, cl.pinned = stageOf(from, sc.names[:i]), strings.Contains(from, "@sha256:")
			if cl.stage == "" && !cl.pinned {
				cl.stage = "image"
			} else if n, err := strconv.Atoi(cl.stage); err == nil {
				cl.upto = sc.starts[n+1] // n < i: the stage after it exists
			}
		} else {
			cl.files, cl.err = c.FilesUsedFromContext(cfg, args)
		}
		sc.copies = append(sc.copies, cl)
	}
}

// localAdd reports whether an ADD line only copies files of the context,
// as COPY does: no URL, no archive to unpack (by BuildKit's test,
// isArchive), no flag COPY lacks, and no
// variable (whose value could name an archive during the build). kaniko
// never caches ADD; such a line is given to it as a COPY, which it does.
// keyword is the ADD as written.
func localAdd(text string, fc util.FileContext, env []string) (keyword string, misreads, ok bool) {
	fields := strings.Fields(text)
	if len(fields) < 3 || strings.Contains(text, "$") || strings.Contains(text, "://") {
		return "", false, false
	}
	keyword, rest := fields[0], fields[1:]
	for len(rest) > 0 && strings.HasPrefix(rest[0], "--") {
		if f := rest[0]; !strings.HasPrefix(f, "--chown=") && !strings.HasPrefix(f, "--chmod=") {
			return "", false, false // --checksum, --keep-git-dir, --unpack, --link, ...
		}
		rest = rest[1:]
	}
	if len(rest) < 2 || strings.HasPrefix(rest[0], "[") {
		return "", false, false
	}
	srcs, err := util.ResolveSources(rest[:len(rest)-1], fc.Root)
	if err != nil {
		return "", false, false
	}
	for _, src := range srcs {
		if util.IsSrcRemoteFileURL(src) || isArchive(filepath.Join(fc.Root, src)) {
			return "", false, false
		}
		misreads = misreads || misread(fc.Root, src)
	}
	return keyword, misreads, true
}

// apply writes each COPY's token into its line.
func (out Keys) apply(df []byte, copies []copyLine, fc util.FileContext, args func(upto int) string) (Keys, error) {
	lines := strings.Split(string(df), "\n")
	out.Restore = map[string]string{}
	for _, c := range copies {
		var token string
		switch {
		case c.pinned:
			continue
		case c.stage == "image":
			token = uncached(c.line, "COPY --from an image named by tag: its content, and the names in it, are not in kaniko's key")
		case c.stage != "":
			token = "kaniko-ecr-key-" + digest("from", c.stage, inputsDigest(lines, c.upto, copies, fc, args(c.upto)))
		case c.err != nil:
			token = uncached(c.line, fmt.Sprintf("its sources are known only at build time (%v)", c.err))
		default:
			names, dir, err := namesDigest(c.files, fc, false)
			if err != nil {
				token = uncached(c.line, err.Error())
				break
			}
			if !dir && !c.wildcard && c.vals == "" && c.add == "" {
				continue // kaniko's key is whole
			}
			token = "kaniko-ecr-key-" + digest("context", names, c.vals)
		}
		if err := out.flag(lines, c, token); err != nil {
			return out, err
		}
	}
	out.Dockerfile = []byte(strings.Join(lines, "\n"))
	return out, nil
}

// stageOf is the earlier stage a --from names (by name or index), or "".
func stageOf(from string, earlier []string) string {
	for i, n := range earlier {
		if strings.EqualFold(n, from) || strconv.Itoa(i) == from {
			return strconv.Itoa(i)
		}
	}
	return ""
}

// uncached is a token no other build has: the COPY is never a cache hit.
func uncached(line int, why string) string {
	logrus.Infof("Dockerfile line %d: COPY is not taken from the cache: %s", line, why)
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "kaniko-ecr-nocache-" + hex.EncodeToString(b)
}

// argsDigest is a digest of the build args the Dockerfile declares
// before line upto (0: anywhere).
func argsDigest(buildArgs []string, declared map[string]int, upto int) string {
	var kept []string
	for _, a := range buildArgs {
		k, _, _ := strings.Cut(a, "=")
		if at, ok := declared[k]; ok && (upto <= 0 || at < upto) {
			kept = append(kept, a)
		}
	}
	slices.Sort(kept)
	return digest(kept...)
}

// inputsDigest stands for everything the output of a stage that ends
// before line upto can depend on: the Dockerfile up to there, as kaniko
// reads it (with the digests of bind-mounted files), the declared build
// args, and the names and content of every file a COPY there takes from
// the context.
func inputsDigest(lines []string, upto int, copies []copyLine, fc util.FileContext, args string) string {
	if upto <= 0 || upto > len(lines) {
		upto = len(lines) + 1
	}
	h := sha256.New()
	fmt.Fprintf(h, "%x\x00%s\x00", sha256.Sum256([]byte(strings.Join(lines[:upto-1], "\n"))), args)
	for _, c := range copies {
		if c.stage != "" || c.err != nil || c.line >= upto {
			continue
		}
		d, _, err := namesDigest(c.files, fc, true)
		if err != nil {
			d = err.Error()
		}
		fmt.Fprintf(h, "%d:%s\x00", c.line, d)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// namesDigest is a digest of the paths under files, relative to the
// context, with their types, leaving out what .dockerignore excludes as
// kaniko's copy does; with content, of their content (kaniko's cache
// hasher: mode, owner, bytes, link target) too. dir reports a directory.
func namesDigest(files []string, fc util.FileContext, content bool) (sum string, dir bool, err error) {
	h := sha256.New()
	hasher := util.CacheHasher()
	add := func(p string, d fs.DirEntry) error {
		if fc.ExcludesFile(p) {
			return nil
		}
		rel, err := filepath.Rel(fc.Root, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%v\x00", rel, d.Type())
		if content {
			s, err := hasher(p)
			if err != nil {
				return err
			}
			io.WriteString(h, s)
		}
		return nil
	}
	for _, f := range files {
		fi, err := os.Lstat(f)
		if err != nil {
			return "", false, err
		}
		if !fi.IsDir() {
			if err := add(f, fs.FileInfoToDirEntry(fi)); err != nil {
				return "", false, err
			}
			continue
		}
		dir = true
		if err := filepath.WalkDir(f, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return add(p, d)
		}); err != nil {
			return "", false, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), dir, nil
}

var variable = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)`)

// valuesUsed is a digest of the values, as kaniko would expand them, of
// the variables text names; "" when it names none.
func valuesUsed(text string, env []string) string {
	var vals []string
	for _, m := range variable.FindAllStringSubmatch(text, -1) {
		vals = append(vals, m[1])
		for _, kv := range env {
			if k, _, _ := strings.Cut(kv, "="); k == m[1] {
				vals = append(vals, kv)
			}
		}
	}
	if len(vals) == 0 {
		return ""
	}
	return digest(vals...)
}

func has(m map[string]int, k string) bool { _, ok := m[k]; return ok }

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		io.WriteString(h, p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
