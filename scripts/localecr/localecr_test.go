package localecr

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
)

func TestRegistrySpeaksOnlyTLSAndWantsThePassword(t *testing.T) {
	if _, err := exec.LookPath(RegistryBinary); err != nil {
		if testing.Short() {
			t.Skip("docker-registry not installed")
		}
		t.Fatal("docker-registry not installed (apt-get install docker-registry)")
	}
	r, err := StartRegistry(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()

	// go-containerregistry falls back to plain HTTP for 127.0.0.1; this
	// registry must not answer it with a registry API.
	resp, err := http.Get("http://" + r.Addr + "/v2/")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP answered %d", resp.StatusCode)
		}
	}
	c, err := r.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, pass string
		want       int
	}{{"", "", 401}, {"AWS", "wrong", 401}, {"AWS", r.Password, 200}} {
		req, _ := http.NewRequest("GET", "https://"+r.Addr+"/v2/", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("user %q: status %d, want %d", tc.user, resp.StatusCode, tc.want)
		}
	}
}

func TestSTSAndECRShareOneEndpoint(t *testing.T) {
	a := NewAPI(nil)
	rec := func(target, body string) *http.Response {
		req, _ := http.NewRequest("POST", "/", strings.NewReader(body))
		if target != "" {
			req.Header.Set("X-Amz-Target", ecrTargetPrefix+target)
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		return w.Result()
	}
	if r := rec("DescribeRepositories", `{"repositoryNames":["nope"]}`); r.StatusCode != 400 || r.Header.Get("X-Amzn-ErrorType") != "RepositoryNotFoundException" {
		t.Errorf("missing repository: %d %v", r.StatusCode, r.Header)
	}
	if r := rec("", "Action=GetCallerIdentity&Version=2011-06-15"); r.StatusCode != 200 {
		t.Errorf("GetCallerIdentity: %d", r.StatusCode)
	}
	if a.Count("DescribeRepositories") != 1 || a.Count("GetCallerIdentity") != 1 {
		t.Errorf("calls %+v", a.Calls())
	}
}
