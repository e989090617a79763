package plugin

import (
	"context"
	"net/http"
	"os"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/mirrors"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings"
)

// dockerfile returns what the run must know of the Dockerfile, read once.
func (r *run) dockerfile() buildFacts {
	r.factsOnce.Do(func() {
		if r.plan.PushOnly {
			return // nothing is built
		}
		r.facts = factsOf(r.plan.Frontend)
	})
	return r.facts
}

// warnExposure says when RUN steps can read static AWS keys that this
// process cannot protect: they are in the environment of every process of
// the step, and when another process is PID 1 (Harness's addon, an init)
// that one holds them too, readable by the RUN steps it does not know of.
func (r *run) warnExposure() {
	pid := r.deps.PID
	if pid == 1 || !r.dockerfile().hasRun {
		return
	}
	keys := ""
	switch {
	case r.plan.AccessKey != "":
		keys = "PLUGIN_ACCESS_KEY and PLUGIN_SECRET_KEY"
	case os.Getenv("AWS_SECRET_ACCESS_KEY") != "" && r.plan.AWS.OIDCToken == "":
		keys = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	default:
		return
	}
	logrus.Warnf("%s: long-lived AWS keys reach this step in its environment, and kaniko-ecr is not PID 1 here (PID %d): the process that started it (such as Harness's addon) holds them in its environment, and the Dockerfile's RUN steps can read them there (/proc/1/environ) whatever kaniko-ecr does. Use an AWS connector with IRSA or OIDC, which passes no long-lived secret to the step", keys, pid)
}

// buildWithCredentials runs the build with the credentials it needs in the
// docker config (for every registry its pulls can reach, mirrors included),
// checks that the mirrors that get credentials accept them, and takes them away as soon as the build returns: on
// success, failure, a signal (the signal handler's exit) and kaniko's own
// fatal exits alike.
func (r *run) buildWithCredentials(ctx context.Context, p *settings.Plan, aws AWS) (v1.Image, error) {
	facts := r.dockerfile()
	via := mirrors.Reached(p, facts.pulls, facts.unknown)
	pulls := mirrors.PullHosts(p, facts.pulls, facts.unknown, via)
	restore, err := aws.WriteBuildConfig(ctx, pulls, p.Cache)
	if err != nil {
		return nil, err
	}
	defer atExit(restore)()
	transport := func(host string) (http.RoundTripper, error) { return r.deps.Builder.Transport(p, host) }
	if err := mirrors.Check(ctx, mirrors.Credentialed(p, via), transport); err != nil {
		restore()
		return nil, err
	}
	var onLayer func(string)
	if r.early != nil {
		onLayer = r.early.Add
	}
	img, err := r.deps.Builder.Build(ctx, p, onLayer)
	restore()
	return img, err
}

var (
	exitMu    sync.Mutex
	exitHooks = map[int]func(){}
	exitNext  int
)

// atExit runs f before the process exits on a signal or on a fatal log line
// (kaniko calls logrus.Fatal in a few places), until the returned function
// removes it. f must be safe to call more than once.
func atExit(f func()) (remove func()) {
	exitMu.Lock()
	defer exitMu.Unlock()
	id := exitNext
	exitNext++
	exitHooks[id] = f
	return func() {
		exitMu.Lock()
		defer exitMu.Unlock()
		delete(exitHooks, id)
	}
}

// runExitHooks runs every hook still registered.
func runExitHooks() {
	exitMu.Lock()
	hooks := make([]func(), 0, len(exitHooks))
	for _, f := range exitHooks {
		hooks = append(hooks, f)
	}
	exitMu.Unlock()
	for _, f := range hooks {
		f()
	}
}

func init() {
	logrus.RegisterExitHandler(runExitHooks)
}

// buildFacts is what the run must know of the Dockerfile before kaniko
// reads it: which registries the build pulls from (so the docker config
// gets only those credentials) and whether it has RUN steps (which can read
// whatever the build's root and its parent process expose).
type buildFacts struct {
	pulls   []string // registry hosts of the images FROM and COPY --from name
	unknown bool     // an image the front end could not resolve
	hasRun  bool
}

// factsOf takes the facts from the Dockerfile front end's result; without
// one it assumes the worst: pulls from anywhere, RUN steps.
func factsOf(res *dockerfile.Result) buildFacts {
	if res == nil {
		return buildFacts{unknown: true, hasRun: true}
	}
	return buildFacts{pulls: res.Pulls, unknown: res.PullsUnknown, hasRun: len(res.Runs) > 0}
}
