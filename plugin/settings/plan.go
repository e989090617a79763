package settings

import (
	"slices"
	"time"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/named"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/redact"
	"github.com/kaniko-ecr/kaniko-ecr/plugin/settings/provenanceinput"
)

// Plan is the validated, resolved form of Settings: what the run will do.
type Plan struct {
	Registry    string // host, or public.ecr.aws/<alias>
	RegistryURL string // as PLUGIN_REGISTRY gave it (or built from account and region)
	Host        string // registry host[:port] used in image references
	AccountID   string
	Region      string
	Repo        string
	Tags        []string

	Dockerfile string // absolute
	Context    string // absolute
	BuildArgs  []string
	Labels     []string
	Target     string
	Snapshot   string
	Platform   string // os/arch[/variant], empty: the host's

	Cache     bool
	CacheRepo string // full reference, empty: kaniko infers <repo>/cache
	CacheTTL  time.Duration

	PushRetry          int
	ImageDownloadRetry int

	AccessKey, SecretKey, SessionToken redact.Secret

	Skip string // set: why the run builds nothing (auto tag, not the default branch)

	BaseImage BaseImageAuth

	NoPush    bool
	TarPath   string // absolute
	PushOnly  bool
	SourceTar string // absolute

	IndexSources []string      // full references; set: index mode, nothing is built
	IndexWait    time.Duration // how long to wait for missing sources

	ArtifactFile        string // absolute
	DigestFile          string // absolute
	ImageNameDigestFile string // absolute
	ImageNameTagDigest  string // absolute; PLUGIN_IMAGE_NAME_TAG_WITH_DIGEST_FILE
	OCILayoutPath       string // absolute, a directory
	DroneOutput         string // absolute; from DRONE_OUTPUT
	CardPath            string // absolute, or /dev/stdout or /dev/stderr; from DRONE_CARD_PATH

	Provenance provenanceinput.Plan // what is attached to each pushed manifest (PLUGIN_PROVENANCE)

	Kaniko KanikoFlags

	// BuildKit Dockerfiles: secret values by id, the SSH key, where cache
	// mounts are kept between builds, and what the front end made of the
	// Dockerfile (kaniko's Dockerfile, the steps, history and checksums).
	BuildSecrets   map[string]redact.Secret
	SecretEnv      []string // the variables build secrets were read from
	SSHKey         redact.Secret
	CacheMountDir  string
	CacheMountRepo string                   // full repository for cache mounts kept in the registry
	Contexts       map[string]named.Context // named build contexts by name (PLUGIN_BUILD_CONTEXTS)
	Frontend       *dockerfile.Result       `json:"-"`
	Warnings       []string                 // for the log: the Dockerfile's warnings

	DryRun bool
	Force  bool

	AWS AWSPlan // credentials beyond static keys, repository management, ECR Public
}

// BaseImageAuth is the Base Image Connector: credentials for pulls.
type BaseImageAuth struct {
	Registry string // docker config key
	Username string
	Password redact.Secret
}

// KanikoFlags are settings passed through to kaniko with kaniko's meaning.
type KanikoFlags struct {
	SkipTLSVerify        bool
	RegistryCertificates map[string]string // host -> absolute path
	RegistryMirrors      []string
	RegistryMaps         map[string][]string // registry (as references name it) -> mirrors
	SkipUnusedStages     bool
	Reproducible         bool
	SingleSnapshot       bool
	CacheCopyLayers      bool
	CacheRunLayers       bool
	CompressedCaching    bool
	// CompressedCachingSet: the user chose; the memory rule leaves it alone.
	CompressedCachingSet bool
	Compression          string // gzip or zstd, lower case (kaniko --compression)
	CompressionLevel     int    // 0: unset, the compressor's default (1)
	UseNewRun            bool
	IgnorePaths          []string

	// The rest of plugins/kaniko-ecr's settings (validate_dropin.go).
	CacheDir                    string // absolute; empty: kaniko's /cache
	Cleanup                     bool
	SnapshotVarRun              bool // PLUGIN_IGNORE_VAR_RUN=false: /var/run is snapshotted too
	ImageFSExtractRetry         int
	Insecure                    bool // push over plain HTTP
	InsecurePull                bool
	InsecureRegistries          []string
	RegistryClientCerts         map[string]string // host -> "cert,key", absolute paths
	SkipDefaultRegistryFallback bool
	SkipPushPermissionCheck     bool
	SkipTLSVerifyPull           bool
	SkipTLSVerifyRegistries     []string
}

// PushCompressesLayers reports whether the push compresses every layer the
// build makes itself, so that kaniko's compressed bytes serve only its
// digest pass: no layer cache, no compressed caching, and the image pushed
// or written.
func (p *Plan) PushCompressesLayers() bool {
	return !p.Cache && !p.Kaniko.CompressedCaching && (!p.NoPush || p.TarPath != "" || p.OCILayoutPath != "")
}

// InsecurePush reports whether the push goes over plain HTTP.
func (p *Plan) InsecurePush() bool {
	return p.Kaniko.Insecure || slices.Contains(p.Kaniko.InsecureRegistries, p.Host)
}

// Destinations returns <host>/<repo>:<tag> for every tag.
func (p *Plan) Destinations() []string {
	out := make([]string, len(p.Tags))
	for i, t := range p.Tags {
		out[i] = p.Image() + ":" + t
	}
	return out
}

// Image returns <host>/<repo> (<host>/<alias>/<repo> for ECR Public).
func (p *Plan) Image() string { return p.RegistryPath() + "/" + p.Repo }

// IsIndex reports whether the run joins PLUGIN_INDEX_SOURCES instead of building.
func (p *Plan) IsIndex() bool { return len(p.IndexSources) > 0 }

// IsPublic reports whether the registry is ECR Public.
func (p *Plan) IsPublic() bool { return p.AWS.PublicAlias != "" }

// RegistryPath is what precedes a repository name in an image reference:
// the host, or public.ecr.aws/<alias> for ECR Public.
func (p *Plan) RegistryPath() string {
	if p.IsPublic() {
		return p.Host + "/" + p.AWS.PublicAlias
	}
	return p.Host
}
