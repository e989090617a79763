package spool

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// text is about size bytes of text that compresses about as source code
// does, the same on every call.
func text(size int) []byte {
	rng := rand.New(rand.NewPCG(1, uint64(size)))
	words := strings.Fields("func return if else for range go defer select case struct interface map chan error nil true false")
	var b bytes.Buffer
	for b.Len() < size {
		fmt.Fprintf(&b, "%s %d %s\n", words[rng.IntN(len(words))], rng.IntN(1e6), words[rng.IntN(len(words))])
	}
	return b.Bytes()
}

func TestCompressedBytesDoNotDependOnTheNumberOfCores(t *testing.T) {
	data := text(5 << 20)
	for _, c := range []Compression{{Algorithm: "gzip"}, {Algorithm: "gzip", Level: 6}, {Algorithm: "zstd"}, {Algorithm: "zstd", Level: 9}} {
		var outs [][]byte
		for _, procs := range []int{1, 2, 8} {
			prev := runtime.GOMAXPROCS(procs)
			var b bytes.Buffer
			w, err := c.writer(&b)
			if err == nil {
				_, err = w.Write(data)
			}
			if err == nil {
				err = w.Close()
			}
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, b.Bytes())
		}
		if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[0], outs[2]) {
			t.Errorf("%s: the output differs between 1, 2 and 8 cores", c)
		}
	}
}
