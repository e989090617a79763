// Package step is the model of an instruction kaniko cannot run as
// written (Step): what BuildKit would do for it, taken from the parser's
// node, and how it reaches kaniko: its id and the exec-form RUN line that
// runs it.
package step

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/mounts"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/sources"
)

// Step is an instruction kaniko cannot run as written, with what BuildKit
// would do for it. It holds secret ids, never secret values; the builder
// stores it as JSON in dockerfile.Options.StepFile(ID) for the step
// helper.
type Step struct {
	// ID is the hex sha256 of json.Marshal of the step with ID empty, so
	// any change to the step changes its id (and kaniko's cache key).
	ID string `json:"id"`
	// Kind is "run" for RUN, "copy" for COPY or ADD of heredocs (BuildKit
	// treats an ADD heredoc exactly like a COPY one), "add" for ADD
	// --checksum of a download, which the helper fetches and verifies,
	// "pick" for COPY --parents, COPY or ADD --exclude and a symbolic
	// --chmod, "git" for ADD of a git repository (Git), "keep" for the end
	// of a stage whose files later RUNs or picks read, and "context" for
	// the stage that holds a directory context's files.
	Kind string `json:"kind"`
	// Helper is set when the rewritten Dockerfile runs the step through
	// the step helper. Otherwise kaniko runs Args itself and the step is
	// only a record of what the instruction means.
	Helper bool `json:"helper,omitempty"`
	// File and Line say where the instruction is, for messages.
	File string `json:"file,omitempty"`
	Line int    `json:"line"`
	// Original is the instruction as written (continuation lines joined,
	// heredoc bodies and terminators appended): the created_by to record.
	Original string `json:"original"`
	// Stage is the 0-based index of the stage among all FROMs, and
	// StageName its name, if any.
	Stage     int    `json:"stage"`
	StageName string `json:"stageName,omitempty"`
	// Shell is the stage's SHELL at this instruction.
	Shell []string `json:"shell"`
	// Escape is the Dockerfile's escape character, which BuildKit uses to
	// expand variables in mount options and in Dest, Chown and Chmod.
	Escape string `json:"escape"`
	// Command is the shell-form command line after the flags; Exec holds
	// the arguments of the exec form instead.
	Command string   `json:"command,omitempty"`
	Exec    []string `json:"exec,omitempty"`
	// Args is what to execute, computed the way BuildKit does.
	Args []string `json:"args,omitempty"`
	// Script, when set, is the path where Heredocs[0].Content() must be
	// written with mode 0755 before Args (which names it) is executed.
	Script string `json:"script,omitempty"`
	// Heredocs are the instruction's heredocs. For COPY they are the files
	// to create, named after the delimiter, with Data already stripped of
	// tabs for <<-.
	Heredocs []Heredoc `json:"heredocs,omitempty"`
	// Mounts are the RUN --mount flags, in order.
	Mounts []mounts.Mount `json:"mounts,omitempty"`
	// Network is "none" when RUN --network=none asked for no network.
	Network string `json:"network,omitempty"`
	// URL and Checksum are an ADD --checksum download and its digest
	// (sha256:<hex>).
	URL      string `json:"url,omitempty"`
	Checksum string `json:"checksum,omitempty"`
	// Git is the repository of an ADD of a git source, its variables
	// expanded. The builder resolves its ref before the build and adds
	// the commit to the step's RUN line, so kaniko's cache key holds it.
	Git *sources.Git `json:"git,omitempty"`
	// Keep, for Kind "keep", lists the absolute paths of the stage that
	// later RUNs mount: the server copies them out of the build root at
	// the end of the stage ("/" alone: all but kaniko's ignored paths).
	Keep []string `json:"keep,omitempty"`
	// Sources, Parents and Exclude are, for Kind "pick" (COPY --parents,
	// COPY or ADD --exclude; Add set for ADD), the sources as written and
	// the flags. FromStage is the index of the stage a COPY --from names,
	// whose files a "keep" step keeps; else the sources are the build
	// context's, and Digest the digest of what they select there.
	Sources   []string `json:"sources,omitempty"`
	Parents   bool     `json:"parents,omitempty"`
	Exclude   []string `json:"exclude,omitempty"`
	Add       bool     `json:"add,omitempty"`
	FromStage *int     `json:"fromStage,omitempty"`
	// Dir, for Kind "context", is a directory context (absolute): the
	// server places its files, but what Excludes (its .dockerignore
	// patterns) leaves out, in the stage's empty root. Digest is then a
	// digest of those files, so the step's id changes with them.
	Dir      string   `json:"dir,omitempty"`
	Digest   string   `json:"digest,omitempty"`
	Excludes []string `json:"excludes,omitempty"`
	// Dest, Chmod and Chown are the COPY destination and flags, as written.
	Dest  string `json:"dest,omitempty"`
	Chmod string `json:"chmod,omitempty"`
	Chown string `json:"chown,omitempty"`
}

// Heredoc is an inline document as parsed by BuildKit.
type Heredoc struct {
	// Name is the delimiter without quotes (the file name for COPY).
	Name string `json:"name"`
	// Data is the body as written, with the final newline.
	Data string `json:"data"`
	// Chomp is set for <<-: leading tabs are stripped from each line.
	Chomp bool `json:"chomp,omitempty"`
	// Expand is set when the delimiter is unquoted. For COPY, BuildKit then
	// expands variables in the body (escape character always \, quotes
	// left alone); for RUN the shell does it.
	Expand bool `json:"expand,omitempty"`
	// FD is the descriptor of a 3<<EOF form; 0 means standard input.
	FD uint `json:"fd,omitempty"`
}

// Content is the body with <<- tab stripping applied.
func (h Heredoc) Content() string {
	if h.Chomp {
		return parser.ChompHeredocContent(h.Data)
	}
	return h.Data
}

// maxLine keeps a rewritten instruction within the line length BuildKit's
// parser (a bufio.Scanner with its default buffer) accepts; longer
// heredocs go through the helper, whose step file has no such limit.
const maxLine = bufio.MaxScanTokenSize - 64

// Portable reports whether the step survives JSON (which replaces invalid
// UTF-8) and exec (which refuses NUL bytes) unchanged. fmt.Sprint prints
// every string field as its raw bytes.
func Portable(s Step) bool {
	all := fmt.Sprint(s)
	return utf8.ValidString(all) && !strings.ContainsRune(all, 0)
}

// RunLine renders args as a one-line exec-form RUN. It fails when the line
// would be too long for kaniko's parser.
func RunLine(args []string) (string, bool) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Plain < > & keep the history readable; JSON does not need them escaped.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		return "", false
	}
	line := "RUN " + string(bytes.TrimRight(b.Bytes(), "\n"))
	return line, len(line) <= maxLine
}

// ID is the hex sha256 of the step's JSON with the ID left empty.
func ID(s Step) string {
	s.ID = ""
	b, err := json.Marshal(s)
	if err != nil {
		// Step holds only strings, numbers and booleans.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Original is the instruction as kaniko shows unrewritten instructions in
// created_by (trimmed, continuations joined), with each heredoc body and
// terminator appended the way BuildKit reconstitutes ONBUILD triggers.
func Original(n *parser.Node) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(n.Original))
	for _, h := range n.Heredocs {
		b.WriteByte('\n')
		b.WriteString(h.Content)
		b.WriteString(h.Name)
	}
	return b.String()
}

// Heredocs converts the parser's heredocs into the model.
func Heredocs(n *parser.Node) []Heredoc {
	var out []Heredoc
	for _, h := range n.Heredocs {
		out = append(out, Heredoc{Name: h.Name, Data: h.Content, Chomp: h.Chomp, Expand: h.Expand, FD: h.FileDescriptor})
	}
	return out
}
