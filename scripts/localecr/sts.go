package localecr

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func formValue(body, key string) string {
	for _, kv := range strings.Split(body, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			return v
		}
	}
	return ""
}

type stsError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func writeSTSError(w http.ResponseWriter, status int, code, msg string) {
	var e stsError
	e.Error.Type, e.Error.Code, e.Error.Message, e.RequestID = "Sender", code, msg, "local"
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(e)
}

// identityARN is who GetCallerIdentity says the caller is: the role for
// the stand-in's role credentials, a user for anything else.
func identityARN(accessKey string) string {
	switch {
	case strings.HasPrefix(accessKey, "ROLE"):
		return "arn:aws:sts::" + AccountID + ":assumed-role/local/session"
	case strings.HasPrefix(accessKey, "WEB"):
		return "arn:aws:sts::" + AccountID + ":assumed-role/local/web"
	}
	return "arn:aws:iam::" + AccountID + ":user/local"
}

// scopedMark marks the access key of credentials that STS issued with a
// session policy; ECR then issues the registry's scoped token to them.
const scopedMark = "SCOPED"

// IsScoped reports whether an access key belongs to a session that was
// narrowed by a session policy.
func IsScoped(accessKey string) bool { return strings.Contains(accessKey, scopedMark) }

// SessionPolicies returns the session policies STS was asked for, in the
// order of the calls, with the action that asked.
func (a *API) SessionPolicies() []SessionPolicy {
	var out []SessionPolicy
	for _, c := range a.Calls() {
		if c.Service != ServiceSTS {
			continue
		}
		if q, err := url.ParseQuery(c.Body); err == nil && q.Get("Policy") != "" {
			out = append(out, SessionPolicy{Action: c.Op, Policy: q.Get("Policy")})
		}
	}
	return out
}

// SessionPolicy is a policy passed to AssumeRole*, or GetFederationToken.
type SessionPolicy struct {
	Action, Policy string
}

func (a *API) serveSTS(w http.ResponseWriter, action, accessKey string, scoped bool) {
	const ns = "https://sts.amazonaws.com/doc/2011-06-15/"
	w.Header().Set("Content-Type", "text/xml")
	exp := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	creds := func(prefix string) string {
		if scoped {
			prefix += scopedMark
		}
		return fmt.Sprintf("<Credentials><AccessKeyId>%sASIALOCAL</AccessKeyId><SecretAccessKey>local-secret</SecretAccessKey><SessionToken>local-session</SessionToken><Expiration>%s</Expiration></Credentials>", prefix, exp)
	}
	switch action {
	case "GetCallerIdentity":
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="%s"><GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDALOCAL</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, ns, identityARN(accessKey), AccountID)
	case "AssumeRole":
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="%s"><AssumeRoleResult>%s<AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/local/session</Arn><AssumedRoleId>AROALOCAL:session</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></AssumeRoleResponse>`, ns, creds("ROLE"), AccountID)
	case "AssumeRoleWithWebIdentity":
		fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse xmlns="%s"><AssumeRoleWithWebIdentityResult>%s<AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/local/web</Arn><AssumedRoleId>AROALOCAL:web</AssumedRoleId></AssumedRoleUser><SubjectFromWebIdentityToken>local</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`, ns, creds("WEB"), AccountID)
	case "GetFederationToken":
		fmt.Fprintf(w, `<GetFederationTokenResponse xmlns="%s"><GetFederationTokenResult>%s<FederatedUser><Arn>arn:aws:sts::%s:federated-user/local</Arn><FederatedUserId>%s:local</FederatedUserId></FederatedUser><PackedPolicySize>10</PackedPolicySize></GetFederationTokenResult><ResponseMetadata><RequestId>local</RequestId></ResponseMetadata></GetFederationTokenResponse>`, ns, creds("FED"), AccountID, AccountID)
	default:
		writeSTSError(w, 400, "InvalidAction", "local STS does not implement "+action)
	}
}
