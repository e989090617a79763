// Package settings reads every PLUGIN_* variable, validates them all at once and derives the Plan.
package settings

//go:generate go run ../../scripts/regionsgen regions.go

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/provenanceinput"

	"github.com/kelseyhightower/envconfig"
	"github.com/sirupsen/logrus"
)

// Settings holds every PLUGIN_* variable the program reads, one field each.
// The tags are the user contract: env is the variable name without the
// PLUGIN_ prefix, default its default, seed the setting of the Harness step
// (or "-" for plugin-only settings), desc one line for --help and README.md.
type Settings struct {
	Registry  string `envconfig:"REGISTRY" seed:"Account Id + Region" desc:"Registry: <account>.dkr.ecr.<region>.amazonaws.com; public.ecr.aws/<alias> for ECR Public; any host[:port] when an AWS endpoint override is set"`
	AccountID string `envconfig:"ACCOUNT_ID" seed:"Account Id" desc:"12-digit AWS account; with PLUGIN_REGION forms the registry when PLUGIN_REGISTRY is unset"`
	Region    string `envconfig:"REGION" seed:"Region" desc:"AWS region; when unset, read from an ECR registry host"`
	Repo      string `envconfig:"REPO" seed:"Image Name" desc:"Repository name (ECR naming rules); a leading <registry>/ is stripped"`
	Tags      List   `envconfig:"TAGS" default:"latest" seed:"Tags" desc:"Tags to push, comma-separated or a JSON array; duplicates dropped"`

	AutoTag       Bool   `envconfig:"AUTO_TAG" seed:"Tags" desc:"Tags from DRONE_TAG (semver: 1, 1.2, 1.2.3) or, on the default branch, latest; other branches skip the build"`
	AutoTagSuffix string `envconfig:"AUTO_TAG_SUFFIX" seed:"Tags" desc:"Suffix for automatic tags (1.2.3-suffix; latest becomes the suffix)"`
	ExpandTag     Bool   `envconfig:"EXPAND_TAG" seed:"Tags" desc:"Expand semver tags in PLUGIN_TAGS: v1.2.3 gives 1, 1.2, 1.2.3"`

	Dockerfile   string    `envconfig:"DOCKERFILE" default:"Dockerfile" seed:"Dockerfile" desc:"Dockerfile path, relative to the workspace or else to the context"`
	Context      string    `envconfig:"CONTEXT" default:"." seed:"Context" desc:"Build context directory, relative to the workspace"`
	ContextSub   string    `envconfig:"CONTEXT_SUB_PATH" seed:"Context" desc:"Sub-directory of the context to build from (kaniko --context-sub-path)"`
	BuildArgs    List      `envconfig:"BUILD_ARGS" seed:"Build Arguments" desc:"Build args as k=v items; a bare k takes its value from the environment"`
	BuildArgsNew SemiList  `envconfig:"BUILD_ARGS_NEW" seed:"Build Arguments" desc:"Build args separated by ; so values may hold commas"`
	BuildArgsEnv List      `envconfig:"BUILD_ARGS_FROM_ENV" seed:"Build Arguments" desc:"Names of environment variables passed as build args"`
	CustomLabels KeyValues `envconfig:"CUSTOM_LABELS" seed:"Labels" desc:"Image labels as k=v items, or a JSON object"`
	Target       string    `envconfig:"TARGET" seed:"Target" desc:"Dockerfile stage to build"`
	SnapshotMode string    `envconfig:"SNAPSHOT_MODE" seed:"Optimize" desc:"kaniko snapshot mode: full, redo or time (default redo; full when PLUGIN_OPTIMIZE=false)"`
	Optimize     Bool      `envconfig:"OPTIMIZE" seed:"Optimize" desc:"true selects snapshot mode redo, false full"`

	EnableCache Bool   `envconfig:"ENABLE_CACHE" seed:"Remote Cache Image" desc:"Use the remote layer cache (implied by PLUGIN_CACHE_REPO unless set to false)"`
	CacheRepo   string `envconfig:"CACHE_REPO" seed:"Remote Cache Image" desc:"Cache repository, relative to the registry (a full URI in the same registry is accepted)"`
	CacheTTL    Hours  `envconfig:"CACHE_TTL" default:"336" seed:"Remote Cache Image" desc:"Cache entry lifetime in hours (or a duration such as 36h)"`

	AccessKey    redact.Secret `envconfig:"ACCESS_KEY" seed:"AWS Connector" desc:"AWS access key id; unset: the SDK's default credential chain"`
	SecretKey    redact.Secret `envconfig:"SECRET_KEY" seed:"AWS Connector" desc:"AWS secret access key (with PLUGIN_ACCESS_KEY)"`
	SessionToken redact.Secret `envconfig:"SESSION_TOKEN" seed:"AWS Connector" desc:"AWS session token for temporary static credentials"`

	BaseImageRegistry string        `envconfig:"BASE_IMAGE_REGISTRY" seed:"Base Image Connector" desc:"Registry of the base images (Docker Hub URLs are normalised); default Docker Hub"`
	BaseImageUsername string        `envconfig:"BASE_IMAGE_USERNAME" seed:"Base Image Connector" desc:"User for pulling base images"`
	BaseImagePassword redact.Secret `envconfig:"BASE_IMAGE_PASSWORD" seed:"Base Image Connector" desc:"Password or token for pulling base images"`

	NoPush        Bool   `envconfig:"NO_PUSH" seed:"-" desc:"Build only; do not push (outputs still give the digest)"`
	TarPath       string `envconfig:"TAR_PATH" seed:"-" desc:"Also write the image as a docker tarball here (with PLUGIN_NO_PUSH: instead of pushing)"`
	PushOnly      Bool   `envconfig:"PUSH_ONLY" seed:"-" desc:"Do not build: push the tarball PLUGIN_SOURCE_TAR_PATH under every tag"`
	SourceTarPath string `envconfig:"SOURCE_TAR_PATH" seed:"-" desc:"Image tarball to push with PLUGIN_PUSH_ONLY"`

	IndexSources List     `envconfig:"INDEX_SOURCES" seed:"-" desc:"Index mode: build nothing; join these per-platform images (tags in PLUGIN_REPO, or full references in the same registry) into one multi-arch index under every tag"`
	IndexWait    Duration `envconfig:"INDEX_WAIT" default:"0" seed:"-" desc:"Index mode: how long to wait, polling with backoff, for sources that do not exist yet (such as 30m; at most 6h)"`

	ArtifactFile        string `envconfig:"ARTIFACT_FILE" seed:"-" desc:"Write Harness's docker/v1 artifact JSON (registry, image:tag and digest per tag) here"`
	DigestFile          string `envconfig:"DIGEST_FILE" seed:"-" desc:"Write the image digest here"`
	ImageNameDigestFile string `envconfig:"IMAGE_NAME_WITH_DIGEST_FILE" seed:"-" desc:"Write <registry>/<repo>@<digest> here, one line per tag"`

	Provenance       provenanceinput.Mode   `envconfig:"PROVENANCE" default:"min" seed:"-" desc:"SLSA v1 provenance attached to each pushed image manifest as an OCI 1.1 referrer: min (build-arg names), max (build-arg values too, as buildx's mode=max) or false; secret values never"`
	ProvenanceKMSKey provenanceinput.KMSKey `envconfig:"PROVENANCE_KMS_KEY" seed:"-" desc:"AWS KMS key (id, ARN, alias/<name> or alias ARN; cosign's awskms:///... too) that signs the provenance as a DSSE envelope; unset: unsigned"`

	SkipTLSVerify       Bool      `envconfig:"SKIP_TLS_VERIFY" seed:"-" desc:"Push without verifying the registry's TLS certificate (kaniko --skip-tls-verify)"`
	RegistryCertificate KeyValues `envconfig:"REGISTRY_CERTIFICATE" seed:"-" desc:"host=path items: trust this certificate for that registry (kaniko --registry-certificate)"`
	RegistryMirrors     List      `envconfig:"REGISTRY_MIRRORS" seed:"Base Image Connector" desc:"Pull-through mirrors for Docker Hub images (kaniko --registry-mirror)"`
	RegistryMap         List      `envconfig:"REGISTRY_MAP" seed:"Base Image Connector" desc:"registry=mirror items (several mirrors ;-separated): pull that registry's images through the mirrors first, such as gcr.io=mirror.example.com/gcr (kaniko --registry-map)"`
	BuildChecks         Bool      `envconfig:"BUILD_CHECKS" default:"true" seed:"-" desc:"Run BuildKit's Dockerfile build checks and log their warnings as docker build does (# check=skip=... and # check=error=true honoured; error=true fails validation); false turns them off"`
	SkipUnusedStages    Bool      `envconfig:"SKIP_UNUSED_STAGES" default:"true" seed:"Target" desc:"Build only the stages the target needs, as BuildKit does; false builds every stage, as kaniko's executor does (kaniko --skip-unused-stages)"`
	Reproducible        Bool      `envconfig:"REPRODUCIBLE" seed:"-" desc:"Strip timestamps for reproducible images (kaniko --reproducible)"`
	SingleSnapshot      Bool      `envconfig:"SINGLE_SNAPSHOT" seed:"Optimize" desc:"Take one snapshot at the end of the build (kaniko --single-snapshot)"`
	CacheCopyLayers     Bool      `envconfig:"CACHE_COPY_LAYERS" seed:"Remote Cache Image" desc:"Cache COPY layers too (kaniko --cache-copy-layers); default true when the remote cache is on, false restores kaniko's behaviour"`
	CacheRunLayers      Bool      `envconfig:"CACHE_RUN_LAYERS" default:"true" seed:"Remote Cache Image" desc:"Cache RUN layers (kaniko --cache-run-layers)"`
	CompressedCaching   Bool      `envconfig:"COMPRESSED_CACHING" default:"false" seed:"Limit Memory" desc:"Keep each layer compressed in memory (kaniko --compressed-caching) and push those bytes; off: memory stays flat, and the push compresses each new layer once more, on every core"`
	UseNewRun           Bool      `envconfig:"USE_NEW_RUN" seed:"Optimize" desc:"kaniko's experimental RUN implementation (kaniko --use-new-run)"`
	IgnorePaths         List      `envconfig:"IGNORE_PATHS" seed:"-" desc:"Paths left out of snapshots (kaniko --ignore-path)"`

	Compression      string      `envconfig:"COMPRESSION" default:"gzip" seed:"-" desc:"Compression of the layers the build adds (kaniko --compression), done once by the push on every core: gzip, or zstd (smaller and faster; read by containerd 1.5+ and Docker 23+, stored by ECR; the image then gets an OCI manifest, whatever its base)"`
	CompressionLevel OptionalInt `envconfig:"COMPRESSION_LEVEL" seed:"-" desc:"Level of PLUGIN_COMPRESSION (kaniko --compression-level): gzip 1-9, zstd 1-22 (as the zstd command numbers them); default 1, the fastest (-1, kaniko's default, means the same)"`

	Platform string `envconfig:"PLATFORM" seed:"-" desc:"Target platform such as linux/arm64 (kaniko --custom-platform); default: the host's"`

	PushRetry          Int `envconfig:"PUSH_RETRY" default:"3" seed:"-" desc:"Retries of a failed push (kaniko --push-retry)"`
	ImageDownloadRetry Int `envconfig:"IMAGE_DOWNLOAD_RETRY" default:"3" seed:"-" desc:"Retries of a failed base image download (kaniko --image-download-retry)"`

	Verbosity string `envconfig:"VERBOSITY" default:"info" seed:"-" desc:"Log level: panic, fatal, error, warn, info, debug, trace"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"text" seed:"-" desc:"Log format: text or json"`
	Force     Bool   `envconfig:"FORCE" seed:"Run as User" desc:"Build even outside /kaniko (a container) and as a non-root user: dangerous on a real host"`
	DryRun    Bool   `envconfig:"DRY_RUN" seed:"-" desc:"Validate and print the resolved plan (secrets masked); contact and write nothing"`

	// BuildKit Dockerfiles: build secrets, ssh and cache mounts (buildkit.go).
	SecretsFromEnv   List          `envconfig:"SECRETS_FROM_ENV" seed:"Build Secrets" desc:"Build secrets as id=ENV_VAR items: secret id takes that variable's value (Harness's envDockerSecrets)"`
	SecretsFromFile  List          `envconfig:"SECRETS_FROM_FILE" seed:"Build Secrets" desc:"Build secrets as id=path items: secret id takes the file's content; paths relative to the workspace (Harness's fileDockerSecrets)"`
	Secret           SemiList      `envconfig:"SECRET" seed:"Build Secrets" desc:"Build secrets in buildx syntax, separated by ;: id=x,src=path or id=x,env=VAR"`
	SSHAgentKey      redact.Secret `envconfig:"SSH_AGENT_KEY" seed:"Build Secrets" desc:"Private key (PEM) served by an SSH agent to RUN --mount=type=ssh steps"`
	CacheMountDir    string        `envconfig:"CACHE_MOUNT_DIR" seed:"-" desc:"Keep RUN --mount=type=cache content here between builds: a directory relative to the workspace, or absolute on a mount"`
	CacheMountRemote Bool          `envconfig:"CACHE_MOUNT_REMOTE" seed:"Remote Cache Image" desc:"Keep RUN --mount=type=cache content in the cache repository (PLUGIN_CACHE_REPO, else <repo>/cache) as OCI artifacts, one per mount id, pushed only when changed"`
	BuildContexts    List          `envconfig:"BUILD_CONTEXTS" seed:"-" desc:"Named build contexts, as buildx's --build-context and bake's contexts: name=docker-image://ref (pulled with the build's credentials, mirrors and registry maps) or name=path (a directory of the workspace, with its .dockerignore); each supplies FROM name (images only), COPY --from=name and RUN --mount=from=name, and replaces a stage of that name"`

	// The rest of plugins/kaniko-ecr's settings, with kaniko's meanings
	// (validate_dropin.go).
	MultipleBuildArgs           Bool     `envconfig:"MULTIPLE_BUILD_ARGS" seed:"Build Arguments" desc:"true: build args come only from PLUGIN_BUILD_ARGS_NEW (and _FROM_ENV), as in every drone plugin; unset with both lists set: _NEW is used and a warning says so"`
	CacheDir                    string   `envconfig:"CACHE_DIR" seed:"-" desc:"Local directory of cached base images, as kaniko's warmer fills it (kaniko --cache-dir; default /cache)"`
	Cleanup                     Bool     `envconfig:"CLEANUP" seed:"-" desc:"Clean the filesystem at the end of the build (kaniko --cleanup)"`
	IgnoreVarRun                Bool     `envconfig:"IGNORE_VAR_RUN" default:"true" seed:"-" desc:"Leave /var/run out of snapshots (kaniko --ignore-var-run)"`
	ImageFSExtractRetry         Int      `envconfig:"IMAGE_FS_EXTRACT_RETRY" default:"0" seed:"-" desc:"Retries of a failed base image extraction (kaniko --image-fs-extract-retry)"`
	ImageNameTagDigestFile      string   `envconfig:"IMAGE_NAME_TAG_WITH_DIGEST_FILE" seed:"-" desc:"Write <registry>/<repo>:<tag>@<digest> here, one line per tag (kaniko --image-name-tag-with-digest-file)"`
	Insecure                    Bool     `envconfig:"INSECURE" seed:"-" desc:"Push to the registry over plain HTTP (kaniko --insecure)"`
	InsecurePull                Bool     `envconfig:"INSECURE_PULL" seed:"-" desc:"Pull base images over plain HTTP (kaniko --insecure-pull)"`
	InsecureRegistry            List     `envconfig:"INSECURE_REGISTRY" seed:"-" desc:"Registries to reach over plain HTTP, for pulls and the push (kaniko --insecure-registry)"`
	LogTimestamp                Bool     `envconfig:"LOG_TIMESTAMP" seed:"-" desc:"Timestamps in the log (kaniko --log-timestamp); text logs carry them always"`
	OCILayoutPath               string   `envconfig:"OCI_LAYOUT_PATH" seed:"-" desc:"Also write the image as an OCI image layout in this directory (kaniko --oci-layout-path)"`
	RegistryClientCert          SemiList `envconfig:"REGISTRY_CLIENT_CERT" seed:"-" desc:"host=cert,key items separated by ;: client certificate and key for that registry (kaniko --registry-client-cert)"`
	SkipDefaultRegistryFallback Bool     `envconfig:"SKIP_DEFAULT_REGISTRY_FALLBACK" seed:"Base Image Connector" desc:"With PLUGIN_REGISTRY_MIRRORS: fail rather than fall back to Docker Hub (kaniko --skip-default-registry-fallback)"`
	SkipPushPermissionCheck     Bool     `envconfig:"SKIP_PUSH_PERMISSION_CHECK" seed:"-" desc:"Accepted for kaniko --skip-push-permission-check: kaniko-ecr never runs that check (its push session warms up during the build)"`
	SkipTLSVerifyPull           Bool     `envconfig:"SKIP_TLS_VERIFY_PULL" seed:"-" desc:"Pull base images without verifying TLS certificates (kaniko --skip-tls-verify-pull)"`
	SkipTLSVerifyRegistry       List     `envconfig:"SKIP_TLS_VERIFY_REGISTRY" seed:"-" desc:"Registries reached without verifying TLS certificates (kaniko --skip-tls-verify-registry); true: the push registry"`

	// AWS connector modes and repository management (aws.go, repository.go).
	AssumeRole       string        `envconfig:"ASSUME_ROLE" seed:"AWS Connector" desc:"IAM role ARN to assume on top of the credentials above (STS AssumeRole), such as arn:aws:iam::123456789012:role/ci-push"`
	ExternalID       redact.Secret `envconfig:"EXTERNAL_ID" seed:"AWS Connector" desc:"External id that the trust policy of PLUGIN_ASSUME_ROLE asks for"`
	OIDCTokenID      redact.Secret `envconfig:"OIDC_TOKEN_ID" seed:"AWS Connector" desc:"OIDC web identity token (the JWT itself); with PLUGIN_ASSUME_ROLE: STS AssumeRoleWithWebIdentity, no keys needed"`
	CreateRepository Bool          `envconfig:"CREATE_REPOSITORY" seed:"-" desc:"Create the repository, and the cache repository, when missing"`
	ScanOnPush       Bool          `envconfig:"SCAN_ON_PUSH" seed:"-" desc:"Turn on image scanning on push for a repository that PLUGIN_CREATE_REPOSITORY creates"`
	TagImmutability  string        `envconfig:"TAG_IMMUTABILITY" seed:"-" desc:"MUTABLE or IMMUTABLE, for a repository that PLUGIN_CREATE_REPOSITORY creates (default MUTABLE)"`
	LifecyclePolicy  string        `envconfig:"LIFECYCLE_POLICY" seed:"-" desc:"Lifecycle policy to apply to the repository: a JSON file, relative to the workspace (or the JSON itself)"`
	RepositoryPolicy string        `envconfig:"REPOSITORY_POLICY" seed:"-" desc:"Repository (permissions) policy to apply to the repository: a JSON file, relative to the workspace (or the JSON itself)"`
}

// aliases maps a canonical variable to the older names that plugins/kaniko-ecr
// and Harness also send. When both are set the canonical one wins.
var aliases = map[string][]string{
	"PLUGIN_CUSTOM_LABELS": {"PLUGIN_LABELS"},
	"PLUGIN_PLATFORM":      {"PLUGIN_CUSTOM_PLATFORM"},
	"PLUGIN_TAR_PATH":      {"PLUGIN_DESTINATION_TAR_PATH"},
	// Harness's Base Image Connector sends the PLUGIN_DOCKER_* names.
	// plugins/kaniko-ecr also reads PLUGIN_USERNAME, PLUGIN_PASSWORD and the
	// unprefixed DOCKER_* names for the base images' registry.
	"PLUGIN_BASE_IMAGE_REGISTRY": {"PLUGIN_DOCKER_REGISTRY", "DOCKER_REGISTRY"},
	"PLUGIN_BASE_IMAGE_USERNAME": {"PLUGIN_DOCKER_USERNAME", "PLUGIN_USERNAME", "DOCKER_USERNAME"},
	"PLUGIN_BASE_IMAGE_PASSWORD": {"PLUGIN_DOCKER_PASSWORD", "PLUGIN_PASSWORD", "DOCKER_PASSWORD"},
	"PLUGIN_IGNORE_PATHS":        {"PLUGIN_IGNORE_PATH"},
	"PLUGIN_ASSUME_ROLE":         {"PLUGIN_USER_ROLE_ARN"},
	"PLUGIN_EXTERNAL_ID":         {"PLUGIN_USER_ROLE_EXTERNAL_ID"},
}

const envPrefix = "PLUGIN"

// Load reads the settings from the environment. Problems with single values
// are kept in the fields and reported by Validate, all at once. The returned
// warnings are for the log (alias conflicts, unknown variables).
func Load() (*Settings, []string, error) {
	var s Settings
	if err := envconfig.Process(envPrefix, &s); err != nil {
		return nil, nil, err
	}
	warnings := applyAliases(&s, os.LookupEnv)
	if _, w := buildArgsSources(&s); w != "" {
		warnings = append(warnings, w)
	}
	return &s, warnings, nil
}

// applyAliases copies an alias's value into its canonical field when only
// the alias is set.
func applyAliases(s *Settings, lookup func(string) (string, bool)) []string {
	var warnings []string
	fields := fieldsByEnv(s)
	canon := make([]string, 0, len(aliases))
	for c := range aliases {
		canon = append(canon, c)
	}
	sort.Strings(canon)
	for _, c := range canon {
		_, canonSet := lookup(c)
		winner := c
		for _, a := range aliases[c] {
			v, ok := lookup(a)
			if !ok {
				continue
			}
			if canonSet {
				warnings = append(warnings, fmt.Sprintf("%s and %s are both set: using %s", winner, a, winner))
				continue
			}
			setField(fields[c], v)
			canonSet, winner = true, a
		}
	}
	return warnings
}

func setField(f reflect.Value, v string) {
	if d, ok := f.Addr().Interface().(envconfig.Decoder); ok {
		_ = d.Decode(v) // our decoders keep their error for Validate
		return
	}
	f.SetString(v) // aliases exist only for string and Decoder fields (tested)
}

// fieldsByEnv maps each variable name to its field in s.
func fieldsByEnv(s *Settings) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	v := reflect.ValueOf(s).Elem()
	for i, f := range reflect.VisibleFields(v.Type()) {
		out[envName(f)] = v.Field(i)
	}
	return out
}

func envName(f reflect.StructField) string {
	return envPrefix + "_" + f.Tag.Get("envconfig")
}

// SettingInfo describes one variable for --help and README.md.
type SettingInfo struct {
	Env, Aliases, Default, Seed, Desc string
	Secret                            bool // a redact.Secret field
}

// Infos lists every setting in declaration order.
func Infos() []SettingInfo {
	var out []SettingInfo
	for _, f := range reflect.VisibleFields(reflect.TypeOf(Settings{})) {
		env := envName(f)
		out = append(out, SettingInfo{
			Env:     env,
			Aliases: strings.Join(aliases[env], ", "),
			Default: f.Tag.Get("default"),
			Seed:    f.Tag.Get("seed"),
			Desc:    f.Tag.Get("desc"),
			Secret:  f.Type == reflect.TypeOf(redact.Secret("")),
		})
	}
	return out
}

// LogLevel parses PLUGIN_VERBOSITY.
func LogLevel(s string) (logrus.Level, error) {
	return logrus.ParseLevel(strings.TrimSpace(s))
}
