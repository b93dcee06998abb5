package oauth_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func firstBackend(t *testing.T) modeltest.Backend { return firstBackendTB(t) }

func firstBackendTB(t testing.TB) modeltest.Backend {
	return modeltest.Backends(t)[0]
}

func introspect(t *testing.T, f *oauthtest.Fixture, applicationID, authorization, body string) (int, map[string]any) {
	t.Helper()
	resp, raw := f.Do(t, oauthtest.TokenRequest("/oauth2/introspect/"+applicationID, authorization, body))
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("body is not JSON: %s", raw)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	return resp.StatusCode, out
}

func TestIntrospection(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		basicA := oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA)
		token := f.AccessToken(t, "tfu read")
		tokenB := f.AccessTokenFor(t, oauthtest.AppB, oauthtest.ClientBName, oauthtest.SecretB, "tfu")

		t.Run("active token", func(t *testing.T) {
			status, out := introspect(t, f, oauthtest.AppA, basicA, "token="+url.QueryEscape(token))
			if status != 200 || out["active"] != true {
				t.Fatalf("status %d, %v", status, out)
			}
			want := map[string]any{"scope": "tfu read", "client_id": oauthtest.ClientAName, "token_type": "Bearer", "sub": f.ClientA.ID, "aud": f.AppA.AppKey, "iss": oauthtest.Issuer}
			for name, value := range want {
				if out[name] != value {
					t.Errorf("%s = %v, want %v", name, out[name], value)
				}
			}
		})

		inactive := []struct{ name, token string }{
			{"garbage", "not-a-token"},
			{"alg none", forgeNone(t, token)},
			{"token of another app", tokenB},
		}
		for _, tc := range inactive {
			t.Run(tc.name, func(t *testing.T) {
				status, out := introspect(t, f, oauthtest.AppA, basicA, "token="+url.QueryEscape(tc.token))
				if status != 200 || out["active"] != false || len(out) != 1 {
					t.Errorf("status %d, %v, want only active false", status, out)
				}
			})
		}

		t.Run("expired token", func(t *testing.T) {
			realNow := f.Store.Now
			f.Store.Now = func() time.Time { return realNow().Add(models.DefaultTokenLifetime + time.Hour) }
			defer func() { f.Store.Now = realNow }()
			status, out := introspect(t, f, oauthtest.AppA, basicA, "token="+url.QueryEscape(token))
			if status != 200 || out["active"] != false {
				t.Errorf("status %d, %v", status, out)
			}
		})

		t.Run("missing token", func(t *testing.T) {
			status, out := introspect(t, f, oauthtest.AppA, basicA, "token_type_hint=access_token")
			if status != 400 || out["error"] != "invalid_request" {
				t.Errorf("status %d, %v", status, out)
			}
		})
		t.Run("wrong client secret", func(t *testing.T) {
			status, out := introspect(t, f, oauthtest.AppA, oauthtest.EncodedBasic(oauthtest.ClientAName, "wrong-secret-0001"), "token="+url.QueryEscape(token))
			if status != 401 || out["error"] != "invalid_client" {
				t.Errorf("status %d, %v", status, out)
			}
		})
		t.Run("unknown app", func(t *testing.T) {
			status, out := introspect(t, f, "no-such-app", basicA, "token="+url.QueryEscape(token))
			if status != 400 || out["error"] != "invalid_request" {
				t.Errorf("status %d, %v", status, out)
			}
		})
	})
}

func TestRevocation(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		basicA := oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA)
		revoke := func(t *testing.T, authorization, body string) (int, string) {
			t.Helper()
			resp, raw := f.Do(t, oauthtest.TokenRequest("/oauth2/revoke/"+oauthtest.AppA, authorization, body))
			return resp.StatusCode, raw
		}

		t.Run("unknown token", func(t *testing.T) {
			if status, raw := revoke(t, basicA, "token=unknown-token"); status != 200 {
				t.Errorf("status %d: %s", status, raw)
			}
		})
		t.Run("token of another client", func(t *testing.T) {
			f.Store.SetAppPermission(t.Context(), f.AppA.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: f.ClientB.ID, Run: true})
			tokenB := f.AccessTokenFor(t, oauthtest.AppA, oauthtest.ClientBName, oauthtest.SecretB, "tfu")
			status, raw := revoke(t, basicA, "token="+url.QueryEscape(tokenB))
			if status != 400 {
				t.Errorf("status %d: %s, want 400 unauthorized_client", status, raw)
			}
			resp, _ := f.Do(t, oauthtest.GetTokenForUserRequest(tokenB, "user="+url.QueryEscape(oauthtest.User01Name)))
			if resp.StatusCode != 200 {
				t.Errorf("the other client's token stopped working: %d", resp.StatusCode)
			}
		})
		t.Run("own token", func(t *testing.T) {
			token := f.AccessToken(t, "tfu")
			if status, raw := revoke(t, basicA, "token="+url.QueryEscape(token)+"&token_type_hint=access_token"); status != 200 {
				t.Fatalf("status %d: %s", status, raw)
			}
			resp, body := f.Do(t, oauthtest.GetTokenForUserRequest(token, "user="+url.QueryEscape(oauthtest.User01Name)))
			if resp.StatusCode != 401 || resp.Header.Get("Set-Cookie") != "" {
				t.Errorf("revoked token on GetTokenForUser: %d %s", resp.StatusCode, body)
			}
			status, out := introspect(t, f, oauthtest.AppA, basicA, "token="+url.QueryEscape(token))
			if status != 200 || out["active"] != false {
				t.Errorf("revoked token introspects as %v", out)
			}
			if status, _ := revoke(t, basicA, "token="+url.QueryEscape(token)); status != 200 {
				t.Errorf("second revocation: %d", status)
			}
		})
		t.Run("missing token", func(t *testing.T) {
			if status, raw := revoke(t, basicA, ""); status != 400 {
				t.Errorf("status %d: %s", status, raw)
			}
		})
		t.Run("wrong secret", func(t *testing.T) {
			if status, raw := revoke(t, oauthtest.EncodedBasic(oauthtest.ClientAName, "wrong-secret-0001"), "token=x"); status != 401 {
				t.Errorf("status %d: %s", status, raw)
			}
		})
	})
}

func forgeNone(t *testing.T, token string) string {
	return oauthtest.Forge(t, token, `{"alg":"none","typ":"JWT"}`, nil, false)
}
