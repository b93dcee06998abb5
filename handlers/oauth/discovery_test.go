package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
)

func TestJWKSEndpoints(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		token := f.AccessToken(t, "tfu")
		for _, path := range []string{"/.well-known/jwks.json", "/oauth2/keys/" + oauthtest.AppA, "/OAuth2/Keys/APP-A"} {
			t.Run(path, func(t *testing.T) {
				keys := fetchJWKS(t, f, path)
				if len(keys.Keys) != 1 {
					t.Fatalf("%d keys, want 1", len(keys.Keys))
				}
				key := keys.Keys[0]
				if key.Algorithm != "RS256" || key.Use != "sig" || len(key.Certificates) != 1 || len(key.CertificateThumbprintSHA1) != 20 {
					t.Errorf("alg %q, use %q, %d certificates, x5t %d bytes", key.Algorithm, key.Use, len(key.Certificates), len(key.CertificateThumbprintSHA1))
				}
				verifyWithJWKS(t, keys, token)
			})
		}

		t.Run("unknown app", func(t *testing.T) {
			resp, body := f.Do(t, httptest.NewRequest(http.MethodGet, "/oauth2/keys/no-such-app", nil))
			var e map[string]string
			if err := json.Unmarshal([]byte(body), &e); err != nil || resp.StatusCode != 404 || !strings.Contains(e["error_description"], "no-such-app") {
				t.Errorf("status %d, body %s, want 404 JSON naming the app", resp.StatusCode, body)
			}
		})

		t.Run("after a rotation", func(t *testing.T) {
			if _, err := f.Store.RotateSigningKey(t.Context()); err != nil {
				t.Fatal(err)
			}
			keys := fetchJWKS(t, f, "/.well-known/jwks.json")
			if len(keys.Keys) != 2 {
				t.Fatalf("%d keys after a rotation, want the new and the retired key", len(keys.Keys))
			}
			verifyWithJWKS(t, keys, token)
			verifyWithJWKS(t, keys, f.AccessToken(t, "tfu"))
		})
	})
}

func TestServerMetadata(t *testing.T) {
	f := oauthtest.New(t, firstBackend(t))
	resp, body := f.Do(t, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-authorization-server", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var md map[string]any
	if err := json.Unmarshal([]byte(body), &md); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                 oauthtest.Issuer,
		"token_endpoint":         oauthtest.BaseURL + "/oauth2/token/{ApplicationID}",
		"jwks_uri":               oauthtest.BaseURL + "/.well-known/jwks.json",
		"introspection_endpoint": oauthtest.BaseURL + "/oauth2/introspect/{ApplicationID}",
		"revocation_endpoint":    oauthtest.BaseURL + "/oauth2/revoke/{ApplicationID}",
	}
	for name, value := range want {
		if md[name] != value {
			t.Errorf("%s = %v, want %v", name, md[name], value)
		}
	}
	if got, _ := json.Marshal(md["grant_types_supported"]); string(got) != `["client_credentials"]` {
		t.Errorf("grant_types_supported %s", got)
	}
	if got, _ := json.Marshal(md["token_endpoint_auth_methods_supported"]); string(got) != `["client_secret_basic","client_secret_post"]` {
		t.Errorf("token_endpoint_auth_methods_supported %s", got)
	}
	if _, found := md["scopes_supported"]; found {
		t.Error("scopes_supported is listed, but scopes are per app")
	}
}
