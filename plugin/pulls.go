package plugin

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// buildFacts is what the run must know of the Dockerfile before kaniko
// reads it: which registries the build pulls from (so the docker config
// gets only those credentials) and whether it has RUN steps (which can read
// whatever the build's root and its parent process expose).
type buildFacts struct {
	pulls   []string // registry hosts of the images FROM and COPY --from name
	unknown bool     // an image the simple reading below could not resolve
	hasRun  bool
}

// readBuildFacts reads the Dockerfile simply: continuation lines joined,
// global ARGs (overridden by build args) expanded in FROM, stage names and
// scratch skipped. It is the one place that decides "the build pulls from
// this registry"; the Dockerfile front end will answer it instead once it
// exists. When in doubt it says unknown, and the run then assumes the build
// pulls from every registry it has credentials for.
func readBuildFacts(path string, buildArgs []string) buildFacts {
	f, err := os.Open(path)
	if err != nil {
		return buildFacts{unknown: true, hasRun: true}
	}
	defer f.Close()
	return scanBuildFacts(f, buildArgs)
}

func scanBuildFacts(r io.Reader, buildArgs []string) buildFacts {
	var facts buildFacts
	args := map[string]string{}
	given := map[string]string{}
	for _, a := range buildArgs {
		k, v, _ := strings.Cut(a, "=")
		given[k] = v
	}
	stages := map[string]bool{}
	seen := map[string]bool{}
	pull := func(ref string) {
		ref, ok := expandArgs(ref, args)
		low := strings.ToLower(ref)
		switch {
		case !ok || ref == "":
			facts.unknown = true
		case low == "scratch" || stages[low]:
		default:
			r, err := name.ParseReference(ref)
			if err != nil {
				facts.unknown = true
				return
			}
			if h := r.Context().RegistryStr(); !seen[h] {
				seen[h] = true
				facts.pulls = append(facts.pulls, h)
			}
		}
	}
	inStage := false
	for _, line := range instructions(r) {
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		switch strings.ToUpper(words[0]) {
		case "ARG":
			if inStage {
				continue // stage ARGs cannot reach a FROM
			}
			for _, w := range words[1:] {
				k, v, _ := strings.Cut(w, "=")
				if g, ok := given[k]; ok {
					v = g
				}
				args[k] = strings.Trim(v, `"'`)
			}
		case "FROM":
			inStage = true
			rest := flagsOff(words[1:])
			if len(rest) == 0 {
				facts.unknown = true
				continue
			}
			pull(rest[0])
			if len(rest) >= 3 && strings.EqualFold(rest[1], "AS") {
				stages[strings.ToLower(rest[2])] = true
			}
		case "COPY", "ADD":
			for _, w := range words[1:] {
				if v, ok := strings.CutPrefix(strings.ToLower(w), "--from="); ok {
					if _, err := strconv.Atoi(v); err != nil && !stages[v] {
						pull(w[len("--from="):])
					}
				}
			}
		case "RUN":
			facts.hasRun = true
		}
	}
	return facts
}

// instructions returns the Dockerfile's instructions, continuation lines
// joined and comments dropped.
func instructions(r io.Reader) []string {
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// flagsOff drops the --flag words in front of an instruction's arguments.
func flagsOff(words []string) []string {
	for len(words) > 0 && strings.HasPrefix(words[0], "--") {
		words = words[1:]
	}
	return words
}

// expandArgs expands $NAME, ${NAME}, ${NAME:-default} and ${NAME:+value}
// from args; ok is false when a name has no value.
func expandArgs(s string, args map[string]string) (string, bool) {
	ok := true
	out := os.Expand(s, func(v string) string {
		k, def, hasDef := strings.Cut(v, ":-")
		k2, alt, hasAlt := strings.Cut(v, ":+")
		switch {
		case hasDef:
			if val := args[k]; val != "" {
				return val
			}
			return def
		case hasAlt:
			if args[k2] != "" {
				return alt
			}
			return ""
		}
		val, set := args[v]
		if !set || val == "" {
			ok = false
		}
		return val
	})
	return out, ok
}
