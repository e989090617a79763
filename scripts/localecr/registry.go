// Package localecr is a local stand-in for Amazon ECR that tests and the
// demo share: a real registry server (Debian's docker-registry, with TLS and
// basic auth, the way ECR answers) behind a small HTTP server that speaks
// the ECR and ECR Public JSON and STS query APIs the plugin calls.
package localecr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// RegistryBinary is Debian's docker-registry (distribution 2.8).
var RegistryBinary = "/usr/bin/docker-registry"

// Registry is a running docker-registry that only speaks TLS and wants
// basic auth as user AWS with Password, or as ScopedUser with
// ScopedPassword: the token the local ECR issues to a session narrowed by a
// policy, so tests can tell the two apart (the registry cannot enforce the
// policy; ECR does).
type Registry struct {
	Addr     string // 127.0.0.1:port
	User     string
	Password string

	ScopedUser, ScopedPassword string

	CAFile  string // PEM of the self-signed certificate
	Dir     string
	cmd     *exec.Cmd
	waitErr chan error
}

// StartRegistry starts a registry with its storage, certificate and
// password file under dir.
func StartRegistry(dir string) (*Registry, error) {
	r := &Registry{Dir: dir, User: "AWS", Password: randomHex(24), ScopedUser: "AWSSCOPED", ScopedPassword: randomHex(24)}
	for _, d := range []string{"data", "certs", "auth"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	cert, key := filepath.Join(dir, "certs", "tls.crt"), filepath.Join(dir, "certs", "tls.key")
	if err := writeSelfSigned(cert, key); err != nil {
		return nil, fmt.Errorf("making registry certificate: %w", err)
	}
	r.CAFile = cert
	var lines []byte
	for _, up := range [][2]string{{r.User, r.Password}, {r.ScopedUser, r.ScopedPassword}} {
		hash, err := bcrypt.GenerateFromPassword([]byte(up[1]), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		lines = append(lines, up[0]+":"+string(hash)+"\n"...)
	}
	htpasswd := filepath.Join(dir, "auth", "htpasswd")
	if err := os.WriteFile(htpasswd, lines, 0o600); err != nil {
		return nil, err
	}
	// A free port can be taken between probing and binding: try a few.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		r.Addr = "127.0.0.1:" + strconv.Itoa(port)
		cfg := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(cfg, []byte(registryConfig(r.Addr, dir, cert, key, htpasswd)), 0o600); err != nil {
			return nil, err
		}
		if lastErr = r.start(cfg); lastErr == nil {
			return r, nil
		}
	}
	return nil, lastErr
}

func registryConfig(addr, dir, cert, key, htpasswd string) string {
	return fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  secret: %s
  tls:
    certificate: %s
    key: %s
auth:
  htpasswd:
    realm: local-ecr
    path: %s
`, filepath.Join(dir, "data"), addr, randomHex(16), cert, key, htpasswd)
}

func (r *Registry) start(cfg string) error {
	logf, err := os.Create(filepath.Join(r.Dir, "registry.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(RegistryBinary, "serve", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("starting %s: %w", RegistryBinary, err)
	}
	r.cmd = cmd
	r.waitErr = make(chan error, 1)
	go func() { r.waitErr <- cmd.Wait(); logf.Close() }()

	client, err := r.HTTPClient()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.waitErr:
			log, _ := os.ReadFile(filepath.Join(r.Dir, "registry.log"))
			return fmt.Errorf("registry exited: %v: %s", err, log)
		default:
		}
		resp, err := client.Get("https://" + r.Addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.Stop()
	return errors.New("registry did not answer within 15s")
}

// Log is what the registry has logged so far: its access log, one line
// per request, and its warnings.
func (r *Registry) Log() string {
	b, _ := os.ReadFile(filepath.Join(r.Dir, "registry.log"))
	return string(b)
}

// HTTPClient trusts the registry's certificate.
func (r *Registry) HTTPClient() (*http.Client, error) {
	pool, err := r.CertPool()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

// CertPool holds the system roots plus the registry's certificate.
func (r *Registry) CertPool() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		return nil, err
	}
	pool.AppendCertsFromPEM(pem)
	return pool, nil
}

// Stop ends the registry process.
func (r *Registry) Stop() {
	if r == nil || r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	select {
	case <-r.waitErr:
	case <-time.After(5 * time.Second):
	}
	r.cmd = nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// writeSelfSigned writes a certificate for 127.0.0.1 and localhost.
func writeSelfSigned(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "local-ecr"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
}
