package admin_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/admin"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/oauth"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// bearerEnv serves the admin API together with the token endpoint, with
// one OAuth Client app AppA whose scopes are "admin" (api/admin/.*) and
// "tfu" (security/GetTokenForUser).
func bearerEnv(t *testing.T) *env {
	t.Helper()
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	ctx := context.Background()
	if err := s.EnsureSigningKey(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: s, logs: &syncBuffer{}}
	e.app = handlers.New(deps.Deps{
		Config: deps.Config{BaseURL: testBaseURL, BodyLimit: 1 << 20, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second},
		Store:  s,
		Log:    slog.New(slog.NewJSONHandler(e.logs, nil)),
	}, admin.Register, oauth.Register)

	app, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "A", ApplicationID: "AppA"})
	if err != nil {
		t.Fatal(err)
	}
	for name, regex := range map[string]string{"admin": "api/admin/.*", "tfu": "security/GetTokenForUser"} {
		if _, err := s.CreateScope(ctx, app.ID, models.ScopeInput{Name: name, Regexes: []string{regex}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, login := range []string{"root-client@example.test", "plain-client@example.test"} {
		u := e.createUser(models.NewUser{LoginName: login, Password: "client-secret-0001", IsOAuthClient: true})
		if err := s.SetAppPermission(ctx, app.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: u.ID, Run: true}); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(login, "root") {
			e.addToSysAdmin(u.ID)
		}
	}
	return e
}

func (e *env) accessToken(clientID, scope string) string {
	e.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {"client-secret-0001"}, "scope": {scope}}
	resp, err := e.app.Test(newFormRequest("/oauth2/token/AppA", form), 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		e.t.Fatalf("token for %s: status %d, %v", clientID, resp.StatusCode, err)
	}
	return out.AccessToken
}

func (e *env) bearerRequest(method, path, token string, body any) (int, string) {
	e.t.Helper()
	var reader *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		reader = strings.NewReader(string(b))
	} else {
		reader = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, reader)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.app.Test(req, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

func TestAPIWithBearerToken(t *testing.T) {
	e := bearerEnv(t)
	rootAdmin := e.accessToken("root-client@example.test", "admin")
	rootTFU := e.accessToken("root-client@example.test", "tfu")
	plainAdmin := e.accessToken("plain-client@example.test", "admin")

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"list users", "GET", "/api/admin/users", rootAdmin, nil, 200},
		{"create user without CSRF", "POST", "/api/admin/users", rootAdmin, map[string]any{"login_name": "by-token@example.test", "password": "password-0001"}, 201},
		{"scope does not allow the path", "GET", "/api/admin/users", rootTFU, nil, 403},
		{"client without the right", "GET", "/api/admin/users", plainAdmin, nil, 403},
		{"client without the right creates", "POST", "/api/admin/users", plainAdmin, map[string]any{"login_name": "nope@example.test", "password": "password-0001"}, 403},
		{"garbage token", "GET", "/api/admin/users", "abc.def.ghi", nil, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.bearerRequest(tc.method, tc.path, tc.token, tc.body)
			if status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, body)
			}
		})
	}
	if _, err := e.store.UserByLoginName(context.Background(), "nope@example.test"); err == nil {
		t.Error("a client without the right created a user")
	}
	page, _ := e.store.ListAudit(context.Background(), models.AuditQuery{Action: "user.create", Object: "by-token"})
	if page.Total != 1 || page.Events[0].ActorName != "root-client@example.test" {
		t.Errorf("audit of the token's change: %+v", page.Events)
	}
	if status, _ := e.bearerRequest("GET", "/admin/users", rootAdmin, nil); status != http.StatusSeeOther {
		t.Errorf("bearer token on the portal pages: %d, want a redirect to sign-in", status)
	}
}
