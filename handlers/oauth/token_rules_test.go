package oauth_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models"
)

const clientCredentialsTFU = "grant_type=client_credentials&scope=tfu"

// TestInvalidClientAnswersAreIdentical checks that every reason for
// invalid_client gets the same status, challenge and body.
func TestInvalidClientAnswersAreIdentical(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		ctx := t.Context()
		actor := models.Actor{Name: "test"}

		locked, err := f.Store.CreateUser(ctx, models.NewUser{LoginName: "locked@example.test", Password: oauthtest.SecretA, IsOAuthClient: true})
		if err != nil {
			t.Fatal(err)
		}
		f.Store.SetAppPermission(ctx, f.AppA.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: locked.ID, Run: true})
		if err := f.Store.SetUserLocked(ctx, actor, locked.ID, true); err != nil {
			t.Fatal(err)
		}
		service, err := f.Store.CreateUser(ctx, models.NewUser{LoginName: "service@example.test", Password: oauthtest.SecretA, IsServiceUser: true})
		if err != nil {
			t.Fatal(err)
		}
		f.Store.SetAppPermission(ctx, f.AppA.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: service.ID, Run: true})

		cases := []struct{ name, id, secret string }{
			{"unknown client", "nobody@example.test", oauthtest.SecretA},
			{"wrong secret", oauthtest.ClientAName, "wrong-secret-0001"},
			{"disabled client", oauthtest.ClientDName, oauthtest.SecretD},
			{"locked client", locked.LoginName, oauthtest.SecretA},
			{"not a confidential client", service.LoginName, oauthtest.SecretA},
			{"no Run permission", oauthtest.ClientBName, oauthtest.SecretB},
		}
		var first string
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := f.Do(t, oauthtest.TokenRequest("/oauth2/token/"+oauthtest.AppA, oauthtest.EncodedBasic(tc.id, tc.secret), clientCredentialsTFU))
				if resp.StatusCode != 401 {
					t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
				}
				if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="portcullis", charset="UTF-8"` {
					t.Errorf("challenge %q", got)
				}
				if first == "" {
					first = body
				}
				if body != first {
					t.Errorf("body %s differs from %s", body, first)
				}
			})
		}
	})
}

func TestTokenEndpointAppSettings(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		ctx := t.Context()
		request := func(t *testing.T) (int, oauthtest.TokenResponse) {
			t.Helper()
			resp, body := f.Do(t, oauthtest.TokenRequest("/token/"+oauthtest.AppA, oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA), clientCredentialsTFU))
			var tr oauthtest.TokenResponse
			if err := json.Unmarshal([]byte(body), &tr); err != nil {
				t.Fatalf("body is not JSON: %s", body)
			}
			return resp.StatusCode, tr
		}

		t.Run("default lifetime", func(t *testing.T) {
			status, tr := request(t)
			if status != 200 || tr.ExpiresIn != int64(models.DefaultTokenLifetime.Seconds()) {
				t.Errorf("status %d, expires_in %d, want 200 and %v", status, tr.ExpiresIn, models.DefaultTokenLifetime.Seconds())
			}
		})
		t.Run("lifetime from the Tokens page", func(t *testing.T) {
			if _, err := f.Store.UpdateAppTokens(ctx, f.AppA.ID, models.AppTokens{AllowClientCreds: true, LifetimeSeconds: 120}); err != nil {
				t.Fatal(err)
			}
			status, tr := request(t)
			if status != 200 || tr.ExpiresIn != 120 {
				t.Errorf("status %d, expires_in %d, want 200 and 120", status, tr.ExpiresIn)
			}
		})
		t.Run("client credentials not allowed", func(t *testing.T) {
			if _, err := f.Store.UpdateAppTokens(ctx, f.AppA.ID, models.AppTokens{AllowAuthCode: true, LifetimeSeconds: 120}); err != nil {
				t.Fatal(err)
			}
			status, tr := request(t)
			if status != 400 || tr.Error != "unauthorized_client" {
				t.Errorf("status %d, error %q, want 400 unauthorized_client", status, tr.Error)
			}
		})
		t.Run("disabled app", func(t *testing.T) {
			if _, err := f.Store.UpdateAppTokens(ctx, f.AppA.ID, models.AppTokens{AllowClientCreds: true, LifetimeSeconds: 120}); err != nil {
				t.Fatal(err)
			}
			off := false
			if _, err := f.Store.UpdateAppSettings(ctx, f.AppA.ID, models.AppSettings{Enabled: &off}); err != nil {
				t.Fatal(err)
			}
			status, tr := request(t)
			if status != 401 || tr.Error != "invalid_client" {
				t.Errorf("status %d, error %q, want 401 invalid_client", status, tr.Error)
			}
		})
		t.Run("app without scopes", func(t *testing.T) {
			app, err := f.Store.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "Empty", ApplicationID: "empty-app"})
			if err != nil {
				t.Fatal(err)
			}
			f.Store.SetAppPermission(ctx, app.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: f.ClientA.ID, Run: true})
			resp, body := f.Do(t, oauthtest.TokenRequest("/oauth2/token/empty-app", oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA), "grant_type=client_credentials"))
			var tr oauthtest.TokenResponse
			json.Unmarshal([]byte(body), &tr)
			if resp.StatusCode != 400 || tr.Error != "invalid_scope" {
				t.Errorf("status %d, error %q, want 400 invalid_scope", resp.StatusCode, tr.Error)
			}
		})
	})
}

// TestTokenEndpointOddInputs sends inputs that must never reach a 500.
func TestTokenEndpointOddInputs(t *testing.T) {
	oauthtest.Each(t, func(t *testing.T, f *oauthtest.Fixture) {
		basic := oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA)
		cases := []struct {
			name, path, authorization, body string
		}{
			{"percent-encoded Application ID", "/oauth2/token/app%2Da", basic, clientCredentialsTFU},
			{"overlong Application ID", "/oauth2/token/" + strings.Repeat("a", 300), basic, clientCredentialsTFU},
			{"invalid UTF-8 in the body", "/oauth2/token/app-a", "", "grant_type=client_credentials&client_id=%ff&client_secret=%fe"},
			{"NUL in the secret", "/oauth2/token/app-a", oauthtest.RawBasic(oauthtest.ClientAName, "a\x00b"), clientCredentialsTFU},
			{"semicolon separators", "/oauth2/token/app-a", basic, "grant_type=client_credentials;scope=tfu"},
			{"huge scope", "/oauth2/token/app-a", basic, "grant_type=client_credentials&scope=" + strings.Repeat("a", 10000)},
			{"basic with only a colon", "/oauth2/token/app-a", oauthtest.RawBasic("", ""), clientCredentialsTFU},
			{"empty Authorization", "/oauth2/token/app-a", " ", clientCredentialsTFU},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := f.Do(t, oauthtest.TokenRequest(tc.path, tc.authorization, tc.body))
				if resp.StatusCode >= 500 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				var tr oauthtest.TokenResponse
				if err := json.Unmarshal([]byte(body), &tr); err != nil || tr.Error == "" {
					t.Errorf("status %d, body %s, want an OAuth error", resp.StatusCode, body)
				}
			})
		}
	})
}
