package dockerfile

import "github.com/moby/buildkit/frontend/dockerfile/parser"

// Step is an instruction kaniko cannot run as written, with what BuildKit
// would do for it. It holds secret ids, never secret values; the builder
// stores it as JSON in Options.StepFile(ID) for the step helper.
type Step struct {
	// ID is the hex sha256 of json.Marshal of the step with ID empty, so
	// any change to the step changes its id (and kaniko's cache key).
	ID string `json:"id"`
	// Kind is "run" for RUN, "copy" for COPY or ADD of heredocs (BuildKit
	// treats an ADD heredoc exactly like a COPY one), "add" for ADD
	// --checksum of a download, which the helper fetches and verifies, and
	// "keep" for the end of a stage whose files later RUNs mount.
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
	Mounts []Mount `json:"mounts,omitempty"`
	// Network is "none" when RUN --network=none asked for no network.
	Network string `json:"network,omitempty"`
	// URL and Checksum are an ADD --checksum download and its digest
	// (sha256:<hex>).
	URL      string `json:"url,omitempty"`
	Checksum string `json:"checksum,omitempty"`
	// Keep, for Kind "keep", lists the absolute paths of the stage that
	// later RUNs mount: the server copies them out of the build root at
	// the end of the stage ("/" alone: all but kaniko's ignored paths).
	Keep []string `json:"keep,omitempty"`
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
