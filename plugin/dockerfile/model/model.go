// Package model is what the Dockerfile front end (package dockerfile)
// is told and what it tells: the build environment it checks a Dockerfile
// against, its findings by line, and what the builder needs to build the
// Dockerfile with kaniko.
package model

import (
	"fmt"
	"path"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/copyflags"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/health"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"
)

// Options describes the build environment the Dockerfile is checked against.
type Options struct {
	// File is the name used in messages, e.g. "Dockerfile".
	File string
	// Secrets holds the ids of the build secrets that will be available.
	Secrets map[string]bool
	// SSH reports that an SSH agent will be available; it serves every
	// ssh mount id.
	SSH bool
	// Helper is the absolute path of the step helper inside the build root.
	Helper string
	// StepDir is the directory in the build root where the builder writes
	// each Step as <id>.json (see StepFile).
	StepDir string
	// ContentHash, when set, returns a digest of a file or directory of the
	// build context ("" for the whole context): bind mounts from the context
	// are part of their step's cache key.
	ContentHash func(source string) (string, error)
	// SelectHash, when set, returns a digest of what COPY or ADD sources
	// with --parents and --exclude select in the build context.
	SelectHash copyflags.Hash
	// BuildArgs are the build args given (NAME=value), for the global ARGs
	// a FROM names.
	BuildArgs []string
	// Platform is the os/arch[/variant] kaniko pulls every base image for;
	// empty means this machine's platform.
	Platform string
	// Target is the stage to build (empty: the last). Unless AllStages is
	// set, only the stages it needs are checked, as only those are built.
	Target    string
	AllStages bool
	// Checks runs BuildKit's build checks (see package checks): their
	// findings are warnings, or problems under `# check=error=true`.
	Checks bool
	// Contexts are the named build contexts by named.Key.
	Contexts map[string]named.Context
}

// StepFile is where the builder writes the Step with the given id.
func (o Options) StepFile(id string) string {
	return path.Join(o.StepDir, id+".json")
}

// Problem is a finding tied to a line of the Dockerfile (0 when the
// Dockerfile as a whole is at fault).
type Problem struct {
	File string // Options.File
	Line int    // 1-based line of the instruction or directive
	Msg  string // what is wrong, starting with the instruction and flag
}

// String formats the problem as "file:line: message".
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// Result is what the builder needs to build the Dockerfile with kaniko.
type Result struct {
	// Dockerfile is what kaniko builds: byte-identical to the input but
	// for the instructions rewritten, the COPY and ADD of the context
	// given --chown=0:0 and each VOLUME replaced by an ARG that declares
	// nothing (see Volumes). Nil when there are problems.
	Dockerfile []byte
	// Steps has one entry per RUN with heredocs or mounts, per COPY or ADD
	// of heredocs or with --parents or --exclude; the helper runs those
	// with Helper set.
	Steps []step.Step
	// History maps the created_by kaniko records for each rewritten
	// instruction to the instruction as written, so the builder can
	// restore the image history.
	History map[string]string
	// Stages lists the stage names given with FROM ... AS, lower-cased.
	Stages []string
	// Runs names each stage that has RUN instructions, with the line of
	// its first: such a stage executes programs of its platform.
	Runs []StageRun
	// Pulls are the registries the build pulls images from (FROM, COPY
	// --from); PullsUnknown is set when a reference could not be resolved
	// here, so the build may pull from anywhere.
	Pulls        []string
	PullsUnknown bool
	// CacheBuster, when set, occurs in Dockerfile only in the lines added
	// for stages whose files a later RUN mounts; the builder replaces it
	// with a value of its own for each build (see keepFiles).
	CacheBuster string
	// Notices are facts about how the Dockerfile is read, for the log.
	Notices []string
	// Warnings are findings that do not stop the build.
	Warnings []Problem
	// Health is what sets the built image's HEALTHCHECK --start-interval,
	// which kaniko drops.
	Health health.Check
	// Volumes are the target's VOLUME paths, which the builder adds to
	// the image's config: kaniko does not see those instructions.
	Volumes []string
}

// StageRun is a stage with RUN instructions: its index, its name (empty
// when unnamed) and the line of its first RUN.
type StageRun struct {
	Stage int
	Name  string
	Line  int
}
