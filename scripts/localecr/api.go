package localecr

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// AccountID is the account the stand-in claims to be.
const AccountID = "123456789012"

const (
	ecrTargetPrefix       = "AmazonEC2ContainerRegistry_V20150921."
	ecrPublicTargetPrefix = "SpencerFrontendService."
)

// The services a Call can be for.
const (
	ServiceECR       = "ecr"
	ServiceECRPublic = "ecr-public"
	ServiceSTS       = "sts"
)

// Repository is one ECR repository known to the stand-in.
type Repository struct {
	Name             string
	Mutability       string // MUTABLE or IMMUTABLE
	ScanOnPush       bool
	LifecyclePolicy  string
	RepositoryPolicy string
	CreatedAt        time.Time
}

// Call is one API request the stand-in received.
type Call struct {
	Service   string // ServiceECR, ServiceECRPublic or ServiceSTS
	Op        string // operation (ECR, ECR Public) or action (STS)
	AccessKey string // from the SigV4 Authorization header
	Body      string
}

// Fault makes the next Times calls of Op fail with Code.
type Fault struct {
	Op, Code, Message string
	Times             int
	Status            int    // default 400
	Service           string // empty: any service
	Match             string // empty: any request; else only requests whose body contains it
}

// API serves the ECR and ECR Public JSON protocols and the STS query
// protocol on one handler: ECR calls carry X-Amz-Target, STS calls a form
// Action.
type API struct {
	Registry *Registry // nil: tokens are issued, images are not looked up

	// TokenTTL is how long issued tokens claim to live (default 12h).
	TokenTTL time.Duration

	mu          sync.Mutex
	repos       map[string]*Repository
	publicRepos map[string]*Repository
	calls       []Call
	faults      []*Fault
	kmsKeys     map[string]*kmsKey // by key id, ARN and alias (kms.go)
}

// NewAPI returns an API in front of reg, with no repositories.
func NewAPI(reg *Registry) *API {
	return &API{Registry: reg, repos: map[string]*Repository{}, publicRepos: map[string]*Repository{}}
}

// SetTokenTTL sets how long the tokens issued from now on claim to live.
func (a *API) SetTokenTTL(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.TokenTTL = d
}

// AddPublicRepository creates an ECR Public repository directly (test setup).
func (a *API) AddPublicRepository(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.publicRepos[name] = &Repository{Name: name, Mutability: "MUTABLE", CreatedAt: time.Now()}
}

// PublicRepository returns a copy of the named ECR Public repository.
func (a *API) PublicRepository(name string) (Repository, bool) {
	return a.copyOf(a.publicRepos, name)
}

// AddRepository creates a repository directly (test setup).
func (a *API) AddRepository(r Repository) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Mutability == "" {
		r.Mutability = "MUTABLE"
	}
	r.CreatedAt = time.Now()
	a.repos[r.Name] = &r
}

// Repository returns a copy of the named repository.
func (a *API) Repository(name string) (Repository, bool) {
	return a.copyOf(a.repos, name)
}

func (a *API) copyOf(m map[string]*Repository, name string) (Repository, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := m[name]
	if !ok {
		return Repository{}, false
	}
	return *r, true
}

// Inject adds a fault.
func (a *API) Inject(f Fault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults = append(a.faults, &f)
}

// Calls returns the requests received so far.
func (a *API) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Call(nil), a.calls...)
}

// Count returns how many calls of op were received.
func (a *API) Count(op string) int {
	n := 0
	for _, c := range a.Calls() {
		if c.Op == op {
			n++
		}
	}
	return n
}

var credentialRE = regexp.MustCompile(`Credential=([^/,\s]+)/`)

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var op, service string
	switch t := r.Header.Get("X-Amz-Target"); {
	case strings.HasPrefix(t, ecrTargetPrefix):
		op, service = strings.TrimPrefix(t, ecrTargetPrefix), ServiceECR
	case strings.HasPrefix(t, ecrPublicTargetPrefix):
		op, service = strings.TrimPrefix(t, ecrPublicTargetPrefix), ServiceECRPublic
	case strings.HasPrefix(t, kmsTargetPrefix):
		op, service = strings.TrimPrefix(t, kmsTargetPrefix), ServiceKMS
	default:
		op, service = formValue(string(body), "Action"), ServiceSTS
	}
	call := Call{Service: service, Op: op, Body: string(body)}
	if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		call.AccessKey = m[1]
	}
	a.mu.Lock()
	a.calls = append(a.calls, call)
	var fault *Fault
	for _, f := range a.faults {
		if f.Op == op && f.Times > 0 && (f.Service == "" || f.Service == service) && strings.Contains(string(body), f.Match) {
			f.Times--
			fault = f
			break
		}
	}
	a.mu.Unlock()

	if fault != nil {
		status := fault.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		if service == ServiceSTS {
			writeSTSError(w, status, fault.Code, fault.Message)
		} else {
			writeECRError(w, status, fault.Code, fault.Message)
		}
		return
	}
	if service == ServiceKMS {
		a.serveKMS(w, op, body)
		return
	}
	if service == ServiceSTS {
		a.serveSTS(w, op, call.AccessKey, formValue(string(body), "Policy") != "")
		return
	}
	in, ok := decodeECR(w, body)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if service == ServiceECRPublic {
		a.serveECRPublic(w, op, in, call.AccessKey)
	} else {
		a.serveECR(w, op, in, call.AccessKey)
	}
}

func writeECRError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) registryHost() string {
	if a.Registry == nil {
		return AccountID + ".dkr.ecr.us-east-1.amazonaws.com"
	}
	return a.Registry.Addr
}

type ecrRequest struct {
	RepositoryName     string   `json:"repositoryName"`
	RepositoryNames    []string `json:"repositoryNames"`
	ImageTagMutability string   `json:"imageTagMutability"`
	ImageScanning      *struct {
		ScanOnPush bool `json:"scanOnPush"`
	} `json:"imageScanningConfiguration"`
	ImageIDs []struct {
		ImageTag    string `json:"imageTag"`
		ImageDigest string `json:"imageDigest"`
	} `json:"imageIds"`
	LifecyclePolicyText string `json:"lifecyclePolicyText"`
	PolicyText          string `json:"policyText"`
}

// serveECR answers the ECR operations the plugin uses, with a.mu held.
func (a *API) serveECR(w http.ResponseWriter, op string, in ecrRequest, accessKey string) {
	switch op {
	case "GetAuthorizationToken":
		auth := a.authorizationData(accessKey)
		auth["proxyEndpoint"] = "https://" + a.registryHost()
		writeJSON(w, map[string]any{"authorizationData": []map[string]any{auth}})
	case "DescribeRepositories":
		names := in.RepositoryNames
		if len(names) == 0 {
			for n := range a.repos {
				names = append(names, n)
			}
			sort.Strings(names)
		}
		describeRepositories(w, a.repos, names, a.repoJSON)
	case "CreateRepository":
		if repositoryExists(w, a.repos, in.RepositoryName) {
			return
		}
		r := &Repository{Name: in.RepositoryName, Mutability: in.ImageTagMutability, CreatedAt: time.Now()}
		if r.Mutability == "" {
			r.Mutability = "MUTABLE"
		}
		if in.ImageScanning != nil {
			r.ScanOnPush = in.ImageScanning.ScanOnPush
		}
		a.repos[r.Name] = r
		writeJSON(w, map[string]any{"repository": a.repoJSON(r)})
	case "PutLifecyclePolicy", "SetRepositoryPolicy":
		r, ok := a.repos[in.RepositoryName]
		if !ok {
			writeECRError(w, 400, "RepositoryNotFoundException", "The repository with name '"+in.RepositoryName+"' does not exist")
			return
		}
		out := map[string]any{"registryId": AccountID, "repositoryName": r.Name}
		if op == "PutLifecyclePolicy" {
			r.LifecyclePolicy = in.LifecyclePolicyText
			out["lifecyclePolicyText"] = in.LifecyclePolicyText
		} else {
			r.RepositoryPolicy = in.PolicyText
			out["policyText"] = in.PolicyText
		}
		writeJSON(w, out)
	case "DescribeImages":
		a.describeImages(w, in)
	default:
		writeECRError(w, 400, "UnknownOperationException", "local ECR does not implement "+op)
	}
}

// authorizationData is a token for the registry, valid for TokenTTL.
// It is called with a.mu held.
// authorizationData is a token for the registry: the scoped user's for
// credentials of a session narrowed by a policy (IsScoped).
func (a *API) authorizationData(accessKey string) map[string]any {
	ttl := a.TokenTTL
	if ttl == 0 {
		ttl = 12 * time.Hour
	}
	user, pass := "AWS", "not-a-registry"
	if a.Registry != nil {
		user, pass = a.Registry.User, a.Registry.Password
		if IsScoped(accessKey) {
			user, pass = a.Registry.ScopedUser, a.Registry.ScopedPassword
		}
	}
	return map[string]any{
		"authorizationToken": base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
		"expiresAt":          float64(time.Now().Add(ttl).Unix()),
	}
}

// describeImages looks tags up in the real registry. It is called with
// a.mu held and does not touch shared state.
func (a *API) describeImages(w http.ResponseWriter, in ecrRequest) {
	if _, ok := a.repos[in.RepositoryName]; !ok {
		writeECRError(w, 400, "RepositoryNotFoundException", "The repository with name '"+in.RepositoryName+"' does not exist")
		return
	}
	if a.Registry == nil {
		writeECRError(w, 400, "ImageNotFoundException", "no registry")
		return
	}
	opts, err := a.Registry.Options()
	if err != nil {
		writeECRError(w, 500, "ServerException", err.Error())
		return
	}
	var details []map[string]any
	for _, id := range in.ImageIDs {
		ref, err := name.NewTag(a.Registry.Addr + "/" + in.RepositoryName + ":" + id.ImageTag)
		if err != nil {
			writeECRError(w, 400, "InvalidParameterException", err.Error())
			return
		}
		d, err := remote.Head(ref, opts...)
		if err != nil {
			writeECRError(w, 400, "ImageNotFoundException",
				fmt.Sprintf("The image with imageId {imageDigest:'null', imageTag:'%s'} does not exist within the repository with name '%s'", id.ImageTag, in.RepositoryName))
			return
		}
		details = append(details, map[string]any{
			"registryId": AccountID, "repositoryName": in.RepositoryName,
			"imageDigest": d.Digest.String(), "imageTags": []string{id.ImageTag},
			"imageSizeInBytes": d.Size, "imagePushedAt": float64(time.Now().Unix()),
		})
	}
	writeJSON(w, map[string]any{"imageDetails": details})
}

// decodeECR reads an ECR request body; on a bad one it answers with ECR's
// error and reports false.
func decodeECR(w http.ResponseWriter, body []byte) (ecrRequest, bool) {
	var in ecrRequest
	if len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeECRError(w, 400, "SerializationException", err.Error())
			return in, false
		}
	}
	return in, true
}
