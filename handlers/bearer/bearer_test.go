package bearer_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/bearer"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/oauth/oauthtest"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// protectedRoutes registers test routes behind Require that response with
// the scope that allowed them.
func protectedRoutes(app *fiber.App, d deps.Deps) {
	allowed := func(c *fiber.Ctx) error {
		p := bearer.PrincipalOf(c)
		return c.SendString(p.Match.Scope + " " + p.Client().LoginName + " " + p.App().AppIDString())
	}
	app.Get("/users/*", bearer.Require(d), allowed)
	app.Get("/users", bearer.Require(d), allowed)
	app.Get("/security/:name", bearer.Require(d), allowed)
	app.Get("/api/users/*", bearer.Require(d), allowed)
}

func TestRequireMatchesScopesAgainstPath(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			f := oauthtest.New(t, b, protectedRoutes)
			read := f.AccessToken(t, "read")
			tokenInfo := f.AccessToken(t, "token-info")
			both := f.AccessToken(t, "read token-info")

			cases := []struct {
				name, token, path string
				status            int
				body              string
			}{
				{"path the scope allows", read, "/users/42", 200, "read " + oauthtest.ClientAName + " app-a"},
				{"path in another case", read, "/USERS/42", 200, "read " + oauthtest.ClientAName + " app-a"},
				{"query string ignored", read, "/users/42?next=/security/GetTokenForUser", 200, ""},
				{"trailing slash", read, "/users/42/", 200, ""},
				{"percent-encoded path", read, "/users/a%20b", 200, ""},
				{"prefix of the allowed path", read, "/users", 403, ""},
				{"allowed path inside a longer one", read, "/api/users/42", 403, ""},
				{"allowed path only in the query", read, "/security/GetTokenForUser?x=/users/1", 403, ""},
				{"exact path of a short regex", tokenInfo, "/security/GetToken", 200, "token-info " + oauthtest.ClientAName + " app-a"},
				{"longer path than a short regex", tokenInfo, "/security/GetTokenForUser", 403, ""},
				{"second scope of the token", both, "/security/GetToken", 200, ""},
				{"invalid percent-encoding", read, "/users/%zz", 403, ""},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					// The request line is written from RequestURI as is, so
					// a path that net/url rejects can still be sent.
					req := httptest.NewRequest(http.MethodGet, "/", nil)
					req.RequestURI = tc.path
					req.Header.Set("Authorization", "Bearer "+tc.token)
					resp, body := f.Do(t, req)
					if resp.StatusCode != tc.status {
						t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
					}
					if tc.body != "" && body != tc.body {
						t.Errorf("body %q, want %q", body, tc.body)
					}
					if tc.status == 403 && resp.Header.Get("WWW-Authenticate") != `Bearer realm="portcullis", error="insufficient_scope"` {
						t.Errorf("challenge %q", resp.Header.Get("WWW-Authenticate"))
					}
				})
			}
		})
	}
}

func TestRequireReadsTheBearerScheme(t *testing.T) {
	f := oauthtest.New(t, modeltest.Backends(t)[0], protectedRoutes)
	read := f.AccessToken(t, "read")
	cases := []struct {
		name, authorization string
		status              int
	}{
		{"lower-case scheme", "bearer " + read, 200},
		{"extra spaces", "Bearer   " + read + "  ", 200},
		{"no token", "Bearer ", 401},
		{"basic scheme", oauthtest.EncodedBasic(oauthtest.ClientAName, oauthtest.SecretA), 401},
		{"token without scheme", read, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/users/1", nil)
			req.Header.Set("Authorization", tc.authorization)
			resp, body := f.Do(t, req)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
		})
	}
}

// BenchmarkMatchScopes measures the scope decision of a request: the
// rules of three scopes with one regex each, matched against a path that
// the last one allows and against one that none allows.
func BenchmarkMatchScopes(b *testing.B) {
	scopes := []models.Scope{
		{Name: "read", Regexes: "users/.*"},
		{Name: "token-info", Regexes: "security/GetToken"},
		{Name: "tfu", Regexes: "security/GetTokenForUser"},
	}
	rules := models.ScopeRules(scopes, []string{"read", "token-info", "tfu"})
	b.Run("allowed", func(b *testing.B) {
		for b.Loop() {
			if _, ok := models.MatchScopes("/security/GetTokenForUser", rules); !ok {
				b.Fatal("not allowed")
			}
		}
	})
	b.Run("denied", func(b *testing.B) {
		for b.Loop() {
			if _, ok := models.MatchScopes("/admin/users/42", rules); ok {
				b.Fatal("allowed")
			}
		}
	})
}
