package mirrors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sirupsen/logrus"
)

// checkTimeout bounds the sign-in to each mirror before the build.
const checkTimeout = 30 * time.Second

// refused reports whether a registry answered that the credentials are
// wrong or may not pull (401 or 403), in the handshake or afterwards.
func refused(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden)
}

// Check signs in to each mirror the docker config gives credentials
// to, with exactly what kaniko will read from it (the default keychain),
// before the build: kaniko would retry a refused mirror three times, then
// fall back to Docker Hub, and end on an error about Docker Hub. Every
// refusal is reported, each naming its mirror; a mirror that cannot be
// reached is only a warning, as kaniko's fallback may still serve the build.
func Check(ctx context.Context, mirrors []Route, dial func(host string) (http.RoundTripper, error)) error {
	if len(mirrors) == 0 {
		return nil
	}
	errs := make([]error, len(mirrors))
	var wg sync.WaitGroup
	for i, m := range mirrors {
		wg.Go(func() {
			err := signIn(ctx, mirrorHost(m.Mirror), dial)
			switch {
			case err == nil:
			case refused(err):
				errs[i] = fmt.Errorf("registry mirror %s (%s) refused the build's credentials for %s: %w", m.Mirror, m.Setting, mirrorHost(m.Mirror), err)
			default:
				logrus.Warnf("registry mirror %s (%s) could not be checked before the build: %v; kaniko tries it anyway", m.Mirror, m.Setting, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// signIn does the registry's handshake and one authenticated GET
// /v2/: a registry that takes basic auth (ECR does) checks the password
// only there, one that issues tokens checks it in the handshake.
func signIn(ctx context.Context, host string, dial func(string) (http.RoundTripper, error)) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	reg, err := name.NewRegistry(host)
	if err != nil {
		return err
	}
	auth, err := authn.DefaultKeychain.Resolve(reg)
	if err != nil {
		return fmt.Errorf("reading the docker config: %w", err)
	}
	base, err := dial(host)
	if err != nil {
		return err
	}
	tr, err := transport.NewWithContext(ctx, reg, auth, base, nil)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return transport.CheckError(resp, http.StatusOK)
}
