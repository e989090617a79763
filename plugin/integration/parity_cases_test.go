package integration

// The cases of kaniko's integration suite (integration/dockerfiles and
// integration/dockerfiles-with-context in kaniko's module, at go.mod's
// version; the latter keyed by their directory), as kaniko's
// integration/images.go builds them: its argsMap, envsMap and
// additionalKanikoFlagsMap, here as the executor's flags and the plugin's
// settings for the same thing. Every Dockerfile there is built unless
// skipSummary names it, so one that a new kaniko version adds is built too.

// parityCase is what kaniko's suite gives one Dockerfile.
type parityCase struct {
	buildArgs []string          // --build-arg / PLUGIN_BUILD_ARGS
	env       []string          // KEY=value in both builders' environment
	flags     []string          // the executor's extra flags (kaniko's own)
	settings  map[string]string // the plugin's settings for those flags
	// license: kaniko builds it from a git clone of its repository, whose
	// LICENSE it copies; the context gets kaniko's LICENSE at its root.
	license bool
	// context: the context's directory under integration/, when kaniko's
	// suite builds the case from one (TestRelativePaths: ./context).
	context string
	// bothFail: why both builders are expected to fail on it here; the
	// case matches only if both fail with the same error.
	bothFail string
	// asBuildKit: why the plugin builds the case as BuildKit does where
	// kaniko's executor does not; the case matches only if the two then
	// differ (or the plugin fails, with failsWith in its log).
	asBuildKit, failsWith string
	// wallClock: files whose content is the time of the build (RUN date >
	// /date), which two builds cannot share; their content is left out of
	// the comparison, their presence, mode and owner are not.
	wallClock []string
}

var parityCases = map[string]parityCase{
	"Dockerfile_test_run":        {buildArgs: []string{"file=/file"}},
	"Dockerfile_test_run_new":    {buildArgs: []string{"file=/file"}, flags: []string{"--use-new-run=true"}, settings: map[string]string{"PLUGIN_USE_NEW_RUN": "true"}},
	"Dockerfile_test_run_redo":   {buildArgs: []string{"file=/file"}, flags: []string{"--snapshot-mode=redo"}, settings: map[string]string{"PLUGIN_SNAPSHOT_MODE": "redo"}},
	"Dockerfile_test_workdir":    {buildArgs: []string{"workdir=/arg/workdir"}},
	"Dockerfile_test_arg_secret": {buildArgs: []string{"SSH_PRIVATE_KEY", "SSH_PUBLIC_KEY=Pµbl1cK€Y"}, env: []string{"SSH_PRIVATE_KEY=ThEPriv4t3Key"}},
	"Dockerfile_test_scratch": {
		buildArgs: []string{"image=scratch", "hello=hello-value", "file=context/foo", "file3=context/b*"},
		flags:     []string{"--single-snapshot"}, settings: map[string]string{"PLUGIN_SINGLE_SNAPSHOT": "true"},
	},
	"Dockerfile_test_multistage":             {buildArgs: []string{"file=/foo2"}, wallClock: []string{"date"}},
	"Dockerfile_test_maintainer":             {flags: []string{"--single-snapshot"}, settings: map[string]string{"PLUGIN_SINGLE_SNAPSHOT": "true"}},
	"Dockerfile_test_snapshotter_ignorelist": {flags: []string{"--use-new-run=true"}, settings: map[string]string{"PLUGIN_USE_NEW_RUN": "true"}},
	"Dockerfile_test_cache":                  {wallClock: []string{"date"}},
	"Dockerfile_test_cache_oci":              {wallClock: []string{"date"}},
	"Dockerfile_git_buildcontext":            {license: true},
	"Dockerfile_relative_copy":               {context: "context"},
	"Dockerfile_test_meta_arg":               {bothFail: "busybox's touch refuses the date of RUN touch -d 0 (GNU touch takes it)"},
	"Dockerfile_test_volume":                 {asBuildKit: "what RUN writes under a VOLUME afterwards (/tmp/hey) stays, and VOLUME creates no directory"},
	"Dockerfile_test_volume_2": {
		asBuildKit: "VOLUME /foo1 creates no directory, so the RUN that writes /foo1/hello fails, as with BuildKit",
		failsWith:  "can't create /foo1/hello",
	},
}

// Why a case cannot be built here. Only what needs the internet, or a tool
// the stand-in base images (busybox) lack, is skipped.
const (
	needsGit      = "its RUNs call git, which the busybox stand-in for gcr.io/kaniko-test/hardlink-base lacks"
	needsRedHat   = "its base is on registry.access.redhat.com and its RUN installs with yum from the internet"
	needsAPT      = "its RUN installs Debian packages with apt-get from the internet"
	needsURL      = "it ADDs a file from an https URL on the internet"
	needsUserAdd  = "its RUN calls groupadd/useradd, which the busybox stand-in base lacks"
	needsBusyUser = "its RUN calls adduser, which Debian's busybox-static lacks"
	needsAPK      = "its RUN installs Alpine packages with apk from the internet"
	needsBucket   = "kaniko builds it from a Google Cloud Storage bucket context"
	needsNPM      = "its RUN runs npm ci, which fetches packages from the internet (and its base is an npm image)"
)

var skipSummary = map[string]string{
	"issue-1020":                       needsNPM,
	"issue-57":                         needsURL + "; its RUN also calls addgroup/adduser, which Debian's busybox-static lacks",
	"1097":                             needsUserAdd,
	"Dockerfile_hardlink_base":         needsAPK,
	"Dockerfile_test_add":              needsURL,
	"Dockerfile_test_add_404":          needsURL,
	"Dockerfile_test_add_url_with_arg": needsURL,
	"Dockerfile_test_add_chown_intermediate_dirs":  needsBusyUser,
	"Dockerfile_test_copy_chown_intermediate_dirs": needsBusyUser,
	"Dockerfile_test_parent_dir_perms":             needsURL,
	"Dockerfile_test_cache_install":                needsAPT,
	"Dockerfile_test_cache_install_oci":            needsAPT,
	"Dockerfile_test_issue_2049":                   needsAPT,
	"Dockerfile_test_issue_2066":                   needsAPT,
	"Dockerfile_test_copy_bucket":                  needsBucket,
	"Dockerfile_test_copy_chown_nonexisting_user":  needsUserAdd,
	"Dockerfile_test_hardlink":                     needsGit,
	"Dockerfile_test_issue_1039":                   needsRedHat,
	"Dockerfile_test_issue_1837":                   needsRedHat,
	"Dockerfile_test_user_home":                    needsUserAdd,
	"Dockerfile_test_user_nonexisting":             needsUserAdd,
	"Dockerfile_test_user_run":                     needsUserAdd,
	"Dockerfile_test_workdir_with_user":            needsUserAdd,
}

// gcrStandIns are the gcr.io images the cases name, served under the
// registry map's prefix (PLUGIN_REGISTRY_MAP, --registry-map) as the
// Docker Hub ones are under the mirror's.
var gcrStandIns = []string{"kaniko-test/extraction-base-image:latest", "kaniko-test/onbuild-base:latest", "distroless/base:latest"}

// standIns are the Docker Hub images the cases name, served by the
// local registry under the mirror's prefix: Debian's static busybox plus a
// layer with /etc/os-release naming the image it stands in for and the
// directories (/usr/local/bin, ...) that a Debian or Alpine root has. Images
// pinned by digest upstream are unpinned to these (the same Dockerfile for
// both builders): no offline image can have Docker Hub's digest.
var standIns = []string{
	"library/alpine:latest", "library/alpine:3.8", "library/alpine:3.9", "library/alpine:3.11",
	"library/busybox:latest", "library/busybox:1.31",
	"library/debian:latest", "library/debian:12", "library/debian:12.10", "library/debian:10.2",
	"library/debian:10.13", "library/debian:9.11", "library/debian:bullseye-slim",
	"library/ubuntu:18.04", "library/fedora:latest", "library/rabbitmq:latest",
	"jboss/base-jdk:latest", "phusion/baseimage:0.11", "google/cloud-sdk:256.0.0-alpine",
}
