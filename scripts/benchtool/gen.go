package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// The workloads' Dockerfiles. BASE_IMAGE is the busybox image the local
// registry serves; every RUN uses busybox applets only.
const (
	smallDockerfile = `ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY src/ ./
RUN mkdir -p /out && cat *.txt > /out/app.txt && sha256sum /out/app.txt > /out/app.sum

FROM ${BASE_IMAGE} AS test
COPY --from=build /out/ /out/
RUN sha256sum -c /out/app.sum

FROM ${BASE_IMAGE}
COPY --from=build /out/ /app/
COPY config.json /etc/app/config.json
ENV APP_ENV=production
LABEL org.opencontainers.image.title="bench-small"
CMD ["cat", "/app/app.txt"]
`
	manyDockerfile = `ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY files/ /data/
`
	bigDockerfile = `ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY big.bin /data/big.bin
`
)

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	kind := fs.String("kind", "", "small, many or big")
	dir := fs.String("dir", "", "directory to create (must not exist)")
	files := fs.Int("files", 20000, "many: number of files")
	size := fs.Int64("bytes", 0, "many: total bytes (default 200 MB); big: the file's size (default 300 MB)")
	seed := fs.Uint64("seed", 1, "seed of the generated content")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-dir is required")
	}
	if err := os.Mkdir(*dir, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewChaCha8(seedBytes(*seed)))
	switch *kind {
	case "small":
		return genSmall(*dir, rng)
	case "many":
		if *size == 0 {
			*size = 200e6
		}
		return genMany(*dir, *files, *size, rng)
	case "big":
		if *size == 0 {
			*size = 300e6
		}
		return genBig(*dir, *size, rng)
	}
	return fmt.Errorf("-kind %q: want small, many or big", *kind)
}

func seedBytes(s uint64) [32]byte {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(s >> (8 * i))
	}
	return b
}

func genSmall(dir string, rng *rand.Rand) error {
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(smallDockerfile), 0o644); err != nil {
		return err
	}
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	t := newText(rng)
	for i := range 4 {
		if err := writeFile(filepath.Join(src, fmt.Sprintf("part%d.txt", i)), 2000+int64(i)*1500, t); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"listen": ":8080", "log": "info"}`+"\n"), 0o644)
}

// genMany writes n text files, total bytes in all, 200 to a directory; their
// sizes are spread evenly between a fifth and nine fifths of the mean.
func genMany(dir string, n int, total int64, rng *rand.Rand) error {
	if n <= 0 || total < int64(n) {
		return fmt.Errorf("want at least one byte per file, got %d bytes for %d files", total, n)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(manyDockerfile), 0o644); err != nil {
		return err
	}
	t := newText(rng)
	mean := total / int64(n)
	for i := range n {
		sub := filepath.Join(dir, "files", fmt.Sprintf("d%03d", i/200))
		if i%200 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		size := mean/5 + rng.Int64N(mean*8/5+1)
		if err := writeFile(filepath.Join(sub, fmt.Sprintf("f%05d.txt", i)), size, t); err != nil {
			return err
		}
	}
	return nil
}

// genBig writes one file of random bytes: a large artefact such as an
// archive or a model, which gzip cannot shrink.
func genBig(dir string, size int64, rng *rand.Rand) error {
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(bigDockerfile), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "big.bin"))
	if err != nil {
		return err
	}
	src := rand.NewChaCha8(seedBytes(rng.Uint64()))
	if _, err := io.CopyN(f, src, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeFile(path string, size int64, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// text is an endless reader of lines of words from a fixed vocabulary:
// about as compressible as source code (gzip -1 keeps about half).
type text struct {
	rng   *rand.Rand
	vocab [][]byte
	buf   *bufio.Reader
}

func newText(rng *rand.Rand) io.Reader {
	t := &text{rng: rng, vocab: make([][]byte, 4096)}
	for i := range t.vocab {
		w := make([]byte, 2+rng.IntN(9))
		for j := range w {
			w[j] = 'a' + byte(rng.IntN(26))
		}
		t.vocab[i] = w
	}
	t.buf = bufio.NewReaderSize(lineSource{t}, 64<<10)
	return t.buf
}

type lineSource struct{ t *text }

// Read fills p with whole lines of 60 to 80 characters when it can.
func (s lineSource) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		line := 0
		for line < 60 && n < len(p) {
			w := s.t.vocab[s.t.rng.IntN(len(s.t.vocab))]
			n += copy(p[n:], w)
			line += len(w)
			if n < len(p) {
				p[n] = ' '
				n++
				line++
			}
		}
		if n < len(p) {
			p[n] = '\n'
			n++
		}
	}
	return n, nil
}
