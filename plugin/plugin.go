// Package plugin is the domain of kaniko-ecr: settings, validation, ECR
// credentials and the order of a run. It never imports kaniko; the build
// itself is behind the Builder interface.
package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// Deps are the outside pieces a run uses; tests replace them.
type Deps struct {
	Builder Builder
	Env     Env
	Environ []string  // for the unknown-variable warning
	Stdout  io.Writer // the dry-run plan
	Stderr  io.Writer // logs
	Exe     string    // path of the running binary, for the safety guard
	EUID    int
	// NewAWS makes the AWS clients; nil: the real ones from the AWS config.
	NewAWS func(ctx context.Context, p *Plan) (*awsClients, error)
}

// DefaultDeps are the real process's dependencies.
func DefaultDeps(b Builder) Deps {
	return Deps{Builder: b, Env: OSEnv(), Environ: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr, Exe: executable(), EUID: os.Geteuid()}
}

// run is one execution: its plan, its phases and their times.
type run struct {
	deps   Deps
	plan   *Plan
	hook   *redactHook
	start  time.Time
	phase  atomic.Value // string
	phases []PhaseTime

	phaseStart time.Time
	aws        *awsSession // set by login
}

// Run loads and validates the settings, then builds and pushes. Its error
// maps to an exit status with ExitCode; it has been logged already.
func Run(ctx context.Context, deps Deps) error {
	r := &run{deps: deps, hook: &redactHook{}, start: time.Now()}
	r.enter("settings")
	err := r.exec(ctx)
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		var ie *InterruptedError
		if errors.As(cause, &ie) {
			logrus.Errorf("%v during the %s phase after %s; no tag was left half-pushed", ie, r.phase.Load(), time.Since(r.start).Round(time.Millisecond))
			return cause
		}
	}
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			// Logging may not be configured yet: write the report plainly.
			fmt.Fprintln(deps.Stderr, err)
		} else {
			logrus.Error(err)
		}
	}
	return err
}

func (r *run) exec(ctx context.Context) error {
	s, warnings, err := Load()
	if err != nil {
		return &ValidationError{Problems: []string{err.Error()}}
	}
	plan, verr := s.Validate(r.deps.Env)
	level, lerr := logLevel(s.Verbosity)
	if lerr != nil {
		level = logrus.InfoLevel
	}
	r.hook.add(s.AccessKey.Reveal(), s.SecretKey.Reveal(), s.SessionToken.Reveal(), s.BaseImagePassword.Reveal())
	configureLogging(r.deps.Stderr, level, strings.TrimSpace(s.LogFormat), r.hook)
	for _, w := range warnings {
		logrus.Warn(w)
	}
	if w := unknownWarning(r.deps.Environ); w != "" {
		logrus.Warn(w)
	}
	if verr != nil {
		return verr
	}
	r.plan = plan
	if plan.DryRun {
		return r.printPlan()
	}
	if plan.Skip != "" {
		logrus.Warn(plan.Skip)
		return nil
	}
	// Pushing a tarball leaves "/" alone: it may run anywhere.
	if !plan.PushOnly {
		gw, err := guard(plan.Force, r.deps.Exe, r.deps.EUID)
		if err != nil {
			return err
		}
		for _, w := range gw {
			logrus.Warn(w)
		}
	}
	r.checkResources()
	r.done("settings")

	r.enter("auth")
	if err := r.login(ctx); err != nil {
		return err
	}
	r.done("auth")

	spec := r.buildSpec()
	r.withAWS(&spec)
	var res BuildResult
	if plan.PushOnly {
		logrus.Infof("pushing %s to %s", plan.SourceTar, strings.Join(spec.Destinations, ", "))
		res, err = r.deps.Builder.PushTarball(ctx, spec, plan.SourceTar)
	} else {
		logrus.Infof("building %s (context %s) for %s", plan.Dockerfile, plan.Context, strings.Join(spec.Destinations, ", "))
		res, err = r.deps.Builder.Build(ctx, spec)
	}
	r.phases = append(r.phases, res.Phases...)
	if err != nil {
		return err
	}
	r.enter("outputs")
	if err := writeOutputs(plan, res); err != nil {
		return err
	}
	r.done("outputs")
	r.summary(res)
	return nil
}

func (r *run) buildSpec() BuildSpec {
	p := r.plan
	return BuildSpec{
		Dockerfile:         p.Dockerfile,
		Context:            p.Context,
		Destinations:       p.Destinations(),
		BuildArgs:          p.BuildArgs,
		Labels:             p.Labels,
		Target:             p.Target,
		SnapshotMode:       p.Snapshot,
		Platform:           p.Platform,
		Cache:              p.Cache,
		CacheRepo:          p.CacheRepo,
		CacheTTL:           p.CacheTTL,
		PushRetry:          p.PushRetry,
		ImageDownloadRetry: p.ImageDownloadRetry,
		NoPush:             p.NoPush,
		TarPath:            p.TarPath,
		Flags:              p.Kaniko,
		OnPhase:            r.enter,
	}
}

// checkResources logs the pod's memory and CPU limits and, below 1 GiB of
// memory, turns compressed caching off unless the user chose.
func (r *run) checkResources() {
	procs, cpus := parallelism()
	logrus.Infof("parallelism: GOMAXPROCS %d (%d CPUs visible)", procs, cpus)
	limit, src, ok := memoryLimit("/")
	switch {
	case !ok:
		logrus.Info("memory limit: no cgroup memory file could be read; going on without one")
	case limit == 0:
		logrus.Infof("memory limit: none (%s)", src)
	default:
		logrus.Infof("memory limit: %s (%s)", humanBytes(limit), src)
	}
	if lowMemoryRule(&r.plan.Kaniko, limit) {
		logrus.Warn("memory limit below 1 GiB: compressed caching turned off (set PLUGIN_COMPRESSED_CACHING to choose)")
	} else if k := r.plan.Kaniko; limit > 0 && limit < lowMemory && k.CompressedCaching {
		logrus.Warnf("PLUGIN_COMPRESSED_CACHING=true under a memory limit of %s: kaniko keeps every compressed layer in memory, and a large layer can get the step OOM-killed", humanBytes(limit))
	}
}

// lowMemoryRule turns compressed caching off under a memory limit below
// 1 GiB, unless the user set it. It reports whether it changed anything.
func lowMemoryRule(f *KanikoFlags, limit int64) bool {
	if limit <= 0 || limit >= lowMemory || f.CompressedCachingSet || !f.CompressedCaching {
		return false
	}
	f.CompressedCaching = false
	return true
}

func (r *run) enter(phase string) {
	r.phase.Store(phase)
	r.phaseStart = time.Now()
}

func (r *run) done(phase string) {
	r.phases = append(r.phases, PhaseTime{Name: phase, Took: time.Since(r.phaseStart)})
}

// printPlan writes the resolved plan as JSON; Secret fields print masked.
func (r *run) printPlan() error {
	out := struct {
		*Plan
		Destinations []string
	}{r.plan, r.plan.Destinations()}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	logrus.Info("dry run: settings are valid; nothing was contacted, built or written")
	_, err = fmt.Fprintf(r.deps.Stdout, "%s\n", b)
	return err
}

func (r *run) summary(res BuildResult) {
	var times []string
	for _, p := range r.phases {
		times = append(times, fmt.Sprintf("%s %s", p.Name, p.Took.Round(time.Millisecond)))
	}
	times = append(times, fmt.Sprintf("total %s", time.Since(r.start).Round(time.Millisecond)))
	tags := r.plan.Tags
	if len(res.Pushed) == 0 {
		tags = nil
	}
	logrus.Infof("image: %s", r.plan.Image())
	logrus.Infof("digest: %s", res.Digest)
	logrus.Infof("tags pushed: %s", strings.Join(orNone(tags), ", "))
	logrus.Infof("size: %s", humanBytes(res.Size))
	logrus.Infof("time: %s", strings.Join(times, ", "))
}

func orNone(s []string) []string {
	if len(s) == 0 {
		return []string{"(none)"}
	}
	return s
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
