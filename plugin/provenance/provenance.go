// Package provenance writes the SLSA v1 provenance of a build as an in-toto
// Statement v1, with the in-toto attestation project's Go bindings. It
// knows neither kaniko nor AWS nor the registry: the run hands it what was
// built from what, and attaches the bytes it returns (package push), signed
// or not (a dsse.Signer the run hands in).
package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	// PredicateType is SLSA provenance v1's.
	PredicateType = "https://slsa.dev/provenance/v1"
	// PayloadType is the media type of an in-toto statement, as a DSSE
	// payload type and as the referrer's artifactType.
	PayloadType = "application/vnd.in-toto+json"
	// BuildType names this project's build: the external parameters below.
	BuildType = "https://github.com/kaniko-ecr/kaniko-ecr/provenance/build/v1"
	// BuilderID is the builder: kaniko-ecr, run by the CI named in the
	// internal parameters.
	BuilderID = "https://github.com/kaniko-ecr/kaniko-ecr"
)

// The modes of Build.Mode, as buildx names them.
const (
	Min = "min" // build-arg names
	Max = "max" // build-arg values too
)

// Build is what a statement says about one build.
type Build struct {
	Mode     string    // Min or Max
	Subjects []Subject // the pushed manifests

	Dockerfile string   // relative to the workspace where possible
	Context    string   // likewise
	Target     string   // empty: the last stage
	Platform   string   // os/arch[/variant]
	BuildArgs  []string // NAME=value; values only in Max mode
	Labels     []string // NAME=value; names only
	SecretIDs  []string // ids of the build secrets; never their values
	// IndexSources, in index mode, are the images joined (nothing is
	// built: the Dockerfile fields are empty).
	IndexSources []string

	Images    []Image    // base images, COPY --from and mount from= images
	Downloads []Download // ADD URLs and git sources, with their checksums

	Builder  Builder
	Env      func(string) (string, bool) // the CI's variables; nil: none
	Started  time.Time
	Finished time.Time

	// Mask replaces every known secret in s (build-arg values in Max
	// mode pass through it); nil: values are taken as they are.
	Mask func(s string) string
}

// Subject is a pushed image manifest.
type Subject struct {
	Name   string // <registry>/<repository>
	Digest string // sha256:<hex>
}

// Image is an image the build pulled, by the reference the Dockerfile gave
// and the digest of the manifest it got.
type Image struct {
	Ref      string
	Digest   string // sha256:<hex>
	Platform string
}

// Download is an ADD of a URL, with the checksum the build verified, or
// of a git source (remote#ref, without credentials) with its commit.
type Download struct {
	URL      string
	Checksum string // sha256:<hex>, or sha1:<commit> for git
}

// Builder is the program that built: its version and, when known, the
// versions of what it embeds and the digest of its own image.
type Builder struct {
	Version      string
	Dependencies map[string]string // module -> version, such as kaniko's
	ImageDigest  string            // sha256:<hex> of the plugin's image; empty: unknown
}

// Statement returns the in-toto statement of b as JSON.
func Statement(b Build) ([]byte, error) {
	if len(b.Subjects) == 0 {
		return nil, fmt.Errorf("writing provenance: no subject")
	}
	pred, err := predicate(b)
	if err != nil {
		return nil, err
	}
	st := &intoto.Statement{Type: intoto.StatementTypeUri, PredicateType: PredicateType, Predicate: pred}
	for _, s := range b.Subjects {
		st.Subject = append(st.Subject, &intoto.ResourceDescriptor{Name: s.Name, Digest: digestSet(s.Digest)})
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	return marshal(st)
}

func predicate(b Build) (*structpb.Struct, error) {
	ext, err := structpb.NewStruct(externalParameters(b))
	if err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	inv := invocation(b.Env)
	internal, err := structpb.NewStruct(map[string]any{"ci": inv.fields})
	if err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	p := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:            BuildType,
			ExternalParameters:   ext,
			InternalParameters:   internal,
			ResolvedDependencies: dependencies(b, inv),
		},
		RunDetails: &slsa.RunDetails{
			Builder:  builder(b.Builder),
			Metadata: &slsa.BuildMetadata{InvocationId: inv.id, StartedOn: stamp(b.Started), FinishedOn: stamp(b.Finished)},
		},
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	raw, err := protojson.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	var s structpb.Struct
	if err := protojson.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	return &s, nil
}

// externalParameters are the build's inputs as the user gave them. Build
// args appear by name in Min mode and with their values (masked) in Max
// mode; labels and secrets by name only.
func externalParameters(b Build) map[string]any {
	ext := map[string]any{}
	for k, v := range map[string]string{"dockerfile": b.Dockerfile, "context": b.Context, "target": b.Target, "platform": b.Platform} {
		if v != "" {
			ext[k] = v
		}
	}
	if len(b.IndexSources) > 0 {
		ext["indexSources"] = list(b.IndexSources)
	}
	mask := b.Mask
	if mask == nil {
		mask = func(s string) string { return s }
	}
	if len(b.BuildArgs) > 0 {
		if b.Mode == Max {
			args := map[string]any{}
			for _, a := range b.BuildArgs {
				k, v, _ := strings.Cut(a, "=")
				args[k] = mask(v)
			}
			ext["buildArgs"] = args
		} else {
			ext["buildArgNames"] = names(b.BuildArgs)
		}
	}
	if len(b.Labels) > 0 {
		ext["labelNames"] = names(b.Labels)
	}
	if len(b.SecretIDs) > 0 {
		ext["secretIds"] = list(b.SecretIDs)
	}
	return ext
}

// names returns the sorted, distinct names of NAME=value items.
func names(items []string) []any {
	var out []string
	for _, it := range items {
		k, _, _ := strings.Cut(it, "=")
		out = append(out, k)
	}
	return list(out)
}

func list(in []string) []any {
	s := append([]string(nil), in...)
	sort.Strings(s)
	var out []any
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// dependencies are the images and downloads the build used, each with its
// digest, and the source the CI checked out, with its commit.
func dependencies(b Build, inv ciInvocation) []*intoto.ResourceDescriptor {
	var out []*intoto.ResourceDescriptor
	for _, im := range b.Images {
		out = append(out, &intoto.ResourceDescriptor{Name: im.Ref, Uri: imageURI(im), Digest: digestSet(im.Digest)})
	}
	for _, d := range b.Downloads {
		out = append(out, &intoto.ResourceDescriptor{Uri: d.URL, Digest: digestSet(d.Checksum)})
	}
	if inv.repo != "" && inv.commit != "" {
		out = append(out, &intoto.ResourceDescriptor{Uri: "git+" + inv.repo, Digest: map[string]string{"gitCommit": inv.commit}})
	}
	return out
}

// imageURI is the image as a package URL, the form buildx records.
func imageURI(im Image) string {
	u := "pkg:docker/" + im.Ref
	if im.Platform != "" {
		u += "?platform=" + url.QueryEscape(im.Platform)
	}
	return u
}

func builder(b Builder) *slsa.Builder {
	v := map[string]string{"kaniko-ecr": b.Version}
	for k, ver := range b.Dependencies {
		v[k] = ver
	}
	out := &slsa.Builder{Id: BuilderID, Version: v}
	if b.ImageDigest != "" {
		out.BuilderDependencies = []*intoto.ResourceDescriptor{{Name: "kaniko-ecr image", Digest: digestSet(b.ImageDigest)}}
	}
	return out
}

// digestSet turns "sha256:<hex>" into in-toto's {"sha256": "<hex>"}.
func digestSet(d string) map[string]string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return nil
	}
	return map[string]string{alg: hex}
}

func stamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t.UTC())
}

// marshal writes a message as compact JSON (protojson's own spacing is
// deliberately unstable).
func marshal(st *intoto.Statement) ([]byte, error) {
	raw, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, fmt.Errorf("writing provenance: %w", err)
	}
	return out.Bytes(), nil
}
