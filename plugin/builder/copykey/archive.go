package copykey

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chainguard-dev/kaniko/pkg/config"
	"github.com/moby/go-archive/compression"
)

// isArchive is BuildKit's test of a local file ADD unpacks: a tar,
// maybe compressed (gzip, bzip2, xz, zstd), whose first header reads.
// kaniko's (util.IsFileLocalTarArchive) takes any compressed file for
// one, and then fails to unpack a compressed file that holds no tar.
func isArchive(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	r, err := compression.DecompressStream(bufio.NewReader(f))
	if err != nil {
		return false
	}
	defer r.Close()
	_, err = tar.NewReader(r).Next()
	return err == nil
}

// misread says whether kaniko would take the context's file src for an
// archive that BuildKit copies as it is: a compressed file (kaniko's
// test, read from the first bytes rather than the whole file) that holds
// no tar.
func misread(root, src string) bool {
	p := filepath.Join(root, src)
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	f.Close()
	return compression.Detect(head[:n]) != compression.None && !isArchive(p)
}

// flag adds Flag and token to c's line, an ADD made a COPY, and records
// what the history gets back.
func (out Keys) flag(lines []string, c copyLine, token string) error {
	i := c.line - 1
	if i < 0 || i >= len(lines) {
		return fmt.Errorf("line %d: not in the Dockerfile", c.line)
	}
	text := lines[i]
	kw := "copy"
	if c.add != "" {
		kw = "add"
	}
	at := len(text) - len(strings.TrimLeft(text, " \t")) + len(kw)
	if len(text) <= at || !strings.EqualFold(text[at-len(kw):at], kw) || !strings.ContainsRune(" \t", rune(text[at])) {
		return fmt.Errorf("line %d: no %s keyword to key", c.line, strings.ToUpper(kw))
	}
	flag := Flag + token
	if c.add != "" {
		lines[i] = text[:at-len(kw)] + "COPY" + flag + text[at:]
		out.Restore["COPY"+flag] = c.add
	} else {
		lines[i] = text[:at] + flag + text[at:]
		out.Restore[flag] = ""
	}
	return nil
}

// Adds gives kaniko, as the COPY it amounts to, each ADD of local files
// that kaniko would take for an archive and BuildKit copies as it is (a
// compressed file that holds no tar; kaniko fails to unpack it), in a
// build whose COPY layers are not cached: Key does so for every ADD of
// local files.
func Adds(df []byte, opts *config.KanikoOptions) (Keys, error) {
	out := Keys{Dockerfile: df, Restore: map[string]string{}}
	sc, err := scanDockerfile(df, opts, true)
	if err != nil {
		return out, err
	}
	lines := strings.Split(string(df), "\n")
	for _, c := range sc.copies {
		if c.add != "" && c.misread {
			if err := out.flag(lines, c, "kaniko-ecr-add"); err != nil {
				return out, err
			}
		}
	}
	out.Dockerfile = []byte(strings.Join(lines, "\n"))
	return out, nil
}
