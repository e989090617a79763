package localecr

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Stack is a registry and the API in front of it, both on 127.0.0.1.
type Stack struct {
	Registry *Registry
	API      *API
	Endpoint string // http://127.0.0.1:port, for AWS_ENDPOINT_URL_ECR and _STS
	// CABundle is the system CA bundle plus the registry's certificate, the
	// file to mount at /etc/ssl/certs/ca-certificates.crt in the sandbox.
	CABundle string
	server   *http.Server
}

// Start starts a Stack with its files under dir.
func Start(dir string) (*Stack, error) {
	reg, err := StartRegistry(filepath.Join(dir, "registry"))
	if err != nil {
		return nil, err
	}
	s := &Stack{Registry: reg, API: NewAPI(reg)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		reg.Stop()
		return nil, err
	}
	s.Endpoint = "http://" + l.Addr().String()
	s.server = &http.Server{Handler: s.API, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.server.Serve(l) }()

	s.CABundle = filepath.Join(dir, "ca-bundle.crt")
	if err := writeBundle(s.CABundle, reg.CAFile); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// systemBundles are where Debian and others keep the CA bundle.
var systemBundles = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}

func writeBundle(out, extra string) error {
	var b []byte
	for _, p := range systemBundles {
		if sys, err := os.ReadFile(p); err == nil {
			b = append(b, sys...)
			break
		}
	}
	ca, err := os.ReadFile(extra)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	return os.WriteFile(out, append(b, ca...), 0o644)
}

// Stop stops the API server and the registry.
func (s *Stack) Stop() {
	if s.server != nil {
		_ = s.server.Close()
	}
	s.Registry.Stop()
}

// Env is what a plugin run needs to reach the stand-in: endpoints, dummy
// static credentials for the SDK's default chain, a region, and the
// registry as PLUGIN_REGISTRY.
func (s *Stack) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_ECR":        s.Endpoint,
		"AWS_ENDPOINT_URL_STS":        s.Endpoint,
		"AWS_ENDPOINT_URL_ECR_PUBLIC": s.Endpoint,
		"AWS_ENDPOINT_URL_KMS":        s.Endpoint,
		"AWS_ACCESS_KEY_ID":           "AKIALOCALDEFAULT",
		"AWS_SECRET_ACCESS_KEY":       "local-default-secret",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"PLUGIN_REGISTRY":             s.Registry.Addr,
		"PLUGIN_REGION":               "us-east-1",
	}
}

// EnvLines renders Env as sorted KEY=value lines.
func EnvLines(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + env[k] + "\n")
	}
	return b.String()
}

var errNoBusybox = errors.New("no static busybox at /bin/busybox (apt-get install busybox-static)")
