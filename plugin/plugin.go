// Package plugin is a run of kaniko-ecr from start to end. It only orders
// the stages, each in its own package, in the order data flows through
// them: settings (environment to validated plan), awsecr (sign in, ECR
// token, checks before the build), builder (kaniko), push (publish and read
// back) and outputs (the files that tell the pipeline what was pushed). It
// also owns what belongs to the process: logging, signals, the safety guard
// and exit codes. docs/ARCHITECTURE.md is the map.
package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/awsecr/kmssign"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/outputs"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/push"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/help"
)

// Builder builds the image of a plan. The kaniko implementation lives in
// package builder, which main hands in: the run itself never depends on
// kaniko.
type Builder interface {
	// onLayer, when set, is told the path of each layer tar as soon as
	// the build has written it.
	Build(ctx context.Context, p *settings.Plan, onLayer func(path string)) (v1.Image, error)
	// Transport returns the transport a push to registry uses, the same
	// the build's own registry calls use.
	Transport(p *settings.Plan, registry string) (http.RoundTripper, error)
}

// AWS is the AWS side of a run as the run sees it: awsecr.Session.
type AWS interface {
	Check(ctx context.Context) error
	NoCache() bool
	// WriteBuildConfig writes the credentials the build needs to the
	// docker config; restore takes them away again.
	WriteBuildConfig(ctx context.Context, pulls []string, cache bool) (restore func(), err error)
	// Refresh renews the registry token before the upload if it is old,
	// about to expire, or was narrowed for the build.
	Refresh(ctx context.Context) error
	BeforePush(ctx context.Context, digest string) (skip []string, err error)
	// Authorization is the registry token in memory, for the push.
	authn.Authenticator
}

// Deps are the outside pieces a run uses; tests replace them.
type Deps struct {
	Builder Builder
	Env     settings.Env
	Environ []string  // for the unknown-variable warning
	Stdout  io.Writer // the dry-run plan
	Stderr  io.Writer // logs
	Exe     string    // path of the running binary, for the safety guard
	EUID    int
	PID     int    // this process's id: PID 1 or not changes what RUN steps can read
	Version string // the binary's, as the provenance names the builder
	// NewAWS makes the AWS side; nil: awsecr with the real clients.
	NewAWS func(ctx context.Context, p *settings.Plan, hook *redact.Hook) (AWS, error)
	// Publish publishes the image; nil: push.Publish.
	Publish func(ctx context.Context, img v1.Image, sess *push.Session, req push.Request) (push.Result, error)
}

// DefaultDeps are the real process's dependencies; version is the
// binary's, for the provenance.
func DefaultDeps(b Builder, version string) Deps {
	return Deps{Builder: b, Env: OSEnv(), Environ: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr, Exe: executable(), EUID: os.Geteuid(), PID: os.Getpid(), Version: version}
}

// run is one execution: its plan, its phases and their times.
type run struct {
	deps   Deps
	plan   *settings.Plan
	hook   *redact.Hook
	start  time.Time
	phase  atomic.Value // string
	phases []phaseTime

	phaseStart time.Time

	factsOnce sync.Once
	facts     buildFacts // of the Dockerfile: see dockerfile()

	early *push.Precompressor // layer tars compressed during the build
	kms   kmssign.API         // for PLUGIN_PROVENANCE_KMS_KEY; nil: none
	prov  []string            // the digests of the provenance attached
}

type phaseTime struct {
	name string
	took time.Duration
}

// Run loads and validates the settings, then builds and pushes. Its error
// maps to an exit status with ExitCode; it has been logged already.
func Run(ctx context.Context, deps Deps) error {
	r := &run{deps: deps, hook: &redact.Hook{}, start: time.Now()}
	defer r.profile()() // KANIKO_ECR_PROFILE: plugin/profile.go
	r.enter("settings")
	err := r.exec(ctx)
	r.early.Close() // nil-safe: what the push did not take
	if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
		var ie *InterruptedError
		if errors.As(cause, &ie) {
			logrus.Errorf("%v during the %s phase after %s; no tag was left half-pushed", ie, r.phase.Load(), time.Since(r.start).Round(time.Millisecond))
			return cause
		}
	}
	if err != nil {
		var ve *settings.ValidationError
		if errors.As(err, &ve) {
			// Logging may not be configured yet: write the report plainly.
			fmt.Fprintln(deps.Stderr, err)
		} else {
			logrus.Error(err)
		}
	}
	return err
}

// exec is the run, phase by phase.
func (r *run) exec(ctx context.Context) error {
	done, err := r.settle()
	if err != nil || done {
		return err
	}
	if r.plan.IsIndex() {
		return r.execIndex(ctx)
	}
	r.enter("auth")
	aws, err := r.login(ctx)
	if err != nil {
		return err
	}
	img, sess, err := r.build(ctx, aws)
	if err != nil {
		return err
	}
	res, err := r.publish(ctx, img, sess, aws)
	if err != nil {
		return err
	}
	if len(r.prov) > 0 {
		logrus.Infof("provenance: the run waited %s for it after the read-back", res.AttachWait.Round(time.Millisecond))
	}
	r.enter("outputs")
	if err := outputs.Write(r.plan, outputs.Image{Digest: res.Digest, Pushed: len(res.Pushed) > 0, TarPath: res.TarPath, Provenance: r.prov}); err != nil {
		return err
	}
	r.close()
	if err := r.card(img, res); err != nil {
		return err
	}
	r.summary(res)
	return nil
}

// settle loads and validates the settings, configures logging and checks
// that this is a safe place to build. done is true when the run ends there
// with success: a dry run, or a build that auto tags skip.
func (r *run) settle() (done bool, err error) {
	s, warnings, err := settings.Load()
	if err != nil {
		return false, &settings.ValidationError{Problems: []string{err.Error()}}
	}
	plan, verr := s.Validate(r.deps.Env)
	level, lerr := settings.LogLevel(s.Verbosity)
	if lerr != nil {
		level = logrus.InfoLevel
	}
	r.hook.Add(s.AccessKey.Reveal(), s.SecretKey.Reveal(), s.SessionToken.Reveal(), s.BaseImagePassword.Reveal())
	configureLogging(r.deps.Stderr, level, strings.TrimSpace(s.LogFormat), r.hook)
	if hardenErr != nil {
		logrus.Warnf("marking the process non-dumpable: %v; RUN steps may read its environment and memory", hardenErr)
	}
	for _, w := range warnings {
		logrus.Warn(w)
	}
	if w := help.Unknown(r.deps.Environ); w != "" {
		logrus.Warn(w)
	}
	if verr != nil {
		return false, verr
	}
	r.plan = plan
	r.hideBuildSecrets()
	for _, w := range plan.Warnings {
		logrus.Warn(w)
	}
	if plan.Frontend != nil {
		for _, n := range plan.Frontend.Notices {
			logrus.Info(n)
		}
	}
	if plan.DryRun {
		return true, r.printPlan()
	}
	if plan.Skip != "" {
		logrus.Warn(plan.Skip)
		return true, nil
	}
	// Pushing a tarball or joining an index leaves "/" alone: it may run anywhere.
	if !plan.PushOnly && !plan.IsIndex() {
		gw, err := guard(plan.Force, r.deps.Exe, r.deps.EUID)
		if err != nil {
			return false, err
		}
		for _, w := range gw {
			logrus.Warn(w)
		}
	}
	r.checkResources()
	return false, nil
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

// hideBuildSecrets registers the build secrets and the SSH key, line by
// line too, with the log hook: RUN steps print what they like.
func (r *run) hideBuildSecrets() {
	for _, v := range r.plan.BuildSecrets {
		r.hook.Add(v.Reveal())
	}
	for _, line := range strings.Split(r.plan.SSHKey.Reveal(), "\n") {
		if !strings.HasPrefix(line, "-----") {
			r.hook.Add(strings.TrimSpace(line))
		}
	}
}

// login signs in to AWS, gets a registry token (kept in memory) and runs
// the checks before the build.
func (r *run) login(ctx context.Context) (AWS, error) {
	r.hook.Add(r.plan.AWS.OIDCToken.Reveal(), r.plan.AWS.ExternalID.Reveal())
	newAWS := r.deps.NewAWS
	if newAWS == nil {
		newAWS = r.realAWS
	}
	r.warnExposure()
	aws, err := newAWS(ctx, r.plan, r.hook)
	scrubEnv(r.plan.SecretEnv...) // the AWS config has read the environment
	if err != nil {
		return nil, err
	}
	if err := aws.Check(ctx); err != nil {
		return nil, err
	}
	return aws, nil
}

// realAWS is the AWS side with the real clients. Its registry reads (the
// immutable-tag check) go over the push's transport: the same TLS settings.
func (r *run) realAWS(ctx context.Context, p *settings.Plan, hook *redact.Hook) (AWS, error) {
	clients, err := awsecr.NewClients(ctx, p)
	if err != nil {
		return nil, err
	}
	if p.Provenance.KMSKey != "" {
		r.kms = kmssign.NewClient(clients.Config, p.Provenance.Region())
	}
	if p.Host != "" {
		tr, err := r.deps.Builder.Transport(p, p.Host)
		if err != nil {
			return nil, err
		}
		clients.Transport = tr
	}
	return awsecr.NewSession(p, clients, hook), nil
}

// build opens the push session (its connection and the registry's auth
// handshake do not depend on the build, so they warm up meanwhile) and
// builds the image, or loads it from the tarball in push-only mode.
func (r *run) build(ctx context.Context, aws AWS) (v1.Image, *push.Session, error) {
	p := r.plan
	if aws.NoCache() {
		cp := *p
		cp.Cache, cp.CacheMountRepo = false, ""
		p = &cp
	}
	var sess *push.Session
	if !p.NoPush && len(p.Tags) > 0 {
		tags, err := push.ParseTags(p.Destinations(), p.InsecurePush())
		if err != nil {
			return nil, nil, err
		}
		reg := tags[0].Context().Registry
		tr, err := r.deps.Builder.Transport(p, reg.Name())
		if err != nil {
			return nil, nil, err
		}
		if sess, err = push.NewSession(ctx, aws, tr, reg); err != nil {
			return nil, nil, err
		}
		go sess.Warm(ctx, tags[0])
		if p.Provenance.Mode != "" && !p.PushOnly {
			go sess.WarmReferrers(ctx, tags[0].Context())
		}
	}
	if p.PushOnly {
		logrus.Infof("pushing %s to %s", p.SourceTar, strings.Join(p.Destinations(), ", "))
		img, err := push.LoadTarball(p.SourceTar)
		return img, sess, err
	}
	logrus.Infof("building %s (context %s) for %s", p.Dockerfile, p.Context, strings.Join(p.Destinations(), ", "))
	r.enter("build")
	r.startEarly(ctx, p) // after enter: its work is labelled with the build's phase
	img, err := r.buildWithCredentials(ctx, p, aws)
	return img, sess, err
}

// enter starts a phase and ends the one before it.
func (r *run) enter(phase string) {
	r.close()
	r.phase.Store(phase)
	labelPhase(phase)
	r.phaseStart = time.Now()
}

// close ends the current phase, once.
func (r *run) close() {
	if name, _ := r.phase.Load().(string); name != "" && !r.phaseStart.IsZero() {
		r.phases = append(r.phases, phaseTime{name: name, took: time.Since(r.phaseStart)})
		r.phaseStart = time.Time{}
	}
}
