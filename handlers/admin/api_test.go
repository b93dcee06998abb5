package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
)

type envelope struct {
	Success   bool            `json:"success"`
	Result    json.RawMessage `json:"Result"`
	Message   any             `json:"Message"`
	ErrorCode any             `json:"ErrorCode"`
}

type apiResponse struct {
	status int
	env    envelope
	body   string
}

// api sends a JSON request with the session cookies, the CSRF header and
// a same-origin Origin, as the portal's own scripts would.
func (c *client) api(method, path string, body any) apiResponse {
	c.e.t.Helper()
	return c.apiWith(method, path, body, map[string]string{"X-CSRF-Token": c.csrf, "Origin": testOrigin})
}

func (c *client) apiWith(method, path string, body any, headers map[string]string) apiResponse {
	c.e.t.Helper()
	var reader *strings.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		reader = strings.NewReader(string(b))
	} else {
		reader = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, reader)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	r := c.do(req)
	var env envelope
	_ = json.Unmarshal([]byte(r.body), &env)
	return apiResponse{status: r.status, env: env, body: r.body}
}

// apiClient is a signed-in client that fetched its CSRF token from
// /api/admin/session.
func (e *env) apiClient() *client {
	c := e.adminClient()
	r := c.api("GET", "/api/admin/session", nil)
	var s struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(r.env.Result, &s); err != nil || s.CSRFToken == "" {
		e.t.Fatalf("session: %d %s", r.status, r.body)
	}
	c.csrf = s.CSRFToken
	return c
}

func TestAPIUsers(t *testing.T) {
	e := newEnv(t)
	c := e.apiClient()

	r := c.api("POST", "/api/admin/users", map[string]any{
		"login_name": "api-user@example.test", "password": "password-0001", "display_name": "API",
		"is_oauth_client": true, "description": "d",
	})
	if r.status != http.StatusCreated || !r.env.Success {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if strings.Contains(r.body, "password") && strings.Contains(r.body, "password-0001") {
		t.Error("response echoes the password")
	}
	var u struct {
		ID            string `json:"id"`
		IsServiceUser bool   `json:"is_service_user"`
	}
	json.Unmarshal(r.env.Result, &u)
	if !u.IsServiceUser {
		t.Error("OAuth client not made a service user")
	}

	r = c.api("PATCH", "/api/admin/users/"+u.ID, map[string]any{"display_name": "", "description": "", "password_never_expires": false, "is_oauth_client": false})
	if r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	got := e.user(u.ID)
	if got.DisplayName != "" || got.Description != "" || got.PasswordNeverExpires || got.IsOAuthClient {
		t.Errorf("patch did not save false and empty values: %+v", got)
	}

	r = c.api("POST", "/api/admin/users", map[string]any{"login_name": "API-USER@example.test", "password": "x", "email": "bad"})
	if r.status != http.StatusUnprocessableEntity || r.env.Success {
		t.Fatalf("invalid create: %d %s", r.status, r.body)
	}
	var verr struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	json.Unmarshal(r.env.Result, &verr)
	fields := map[string]bool{}
	for _, fe := range verr.Errors {
		fields[fe.Field] = true
	}
	for _, f := range []string{"password", "email"} {
		if !fields[f] {
			t.Errorf("no field error for %s: %s", f, r.body)
		}
	}

	cases := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"list", "GET", "/api/admin/users?q=api&sort=login_name;DROP", nil, 200},
		{"get", "GET", "/api/admin/users/" + u.ID, nil, 200},
		{"lock", "POST", "/api/admin/users/" + u.ID + "/lock", nil, 200},
		{"unlock", "POST", "/api/admin/users/" + u.ID + "/unlock", nil, 200},
		{"disable", "POST", "/api/admin/users/" + u.ID + "/disable", nil, 200},
		{"enable", "POST", "/api/admin/users/" + u.ID + "/enable", nil, 200},
		{"reset MFA", "POST", "/api/admin/users/" + u.ID + "/reset-mfa", nil, 200},
		{"reset password", "POST", "/api/admin/users/" + u.ID + "/password", map[string]any{"password": "new-password-0002"}, 200},
		{"short password", "POST", "/api/admin/users/" + u.ID + "/password", map[string]any{"password": "short"}, 422},
		{"wrong type", "PATCH", "/api/admin/users/" + u.ID, map[string]any{"is_service_user": "yes"}, 400},
		{"injected id", "GET", "/api/admin/users/1%20OR%201%3D1", nil, 404},
		{"unknown id", "DELETE", "/api/admin/users/00000000-0000-0000-0000-000000000000", nil, 404},
		{"delete by GET", "GET", "/api/admin/users/" + u.ID + "/delete", nil, 404},
		{"delete", "DELETE", "/api/admin/users/" + u.ID, nil, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.api(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if r.status >= 400 && r.env.Success {
				t.Errorf("error with success true: %s", r.body)
			}
		})
	}
	if r := c.apiWith("POST", "/api/admin/users", nil, map[string]string{"X-CSRF-Token": c.csrf, "Origin": testOrigin, "Content-Type": "text/plain"}); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("text body: %d, want 415", r.status)
	}
}

func TestAPIRequiresCSRFAndSession(t *testing.T) {
	e := newEnv(t)
	c := e.apiClient()
	other := e.apiClient()
	body := map[string]any{"login_name": "csrf@example.test", "password": "password-0001"}
	cases := []struct {
		name    string
		headers map[string]string
	}{
		{"no token", map[string]string{"Origin": testOrigin}},
		{"token of another session", map[string]string{"Origin": testOrigin, "X-CSRF-Token": other.csrf}},
		{"foreign origin", map[string]string{"Origin": "https://evil.example", "X-CSRF-Token": c.csrf}},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": c.csrf}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.apiWith("POST", "/api/admin/users", body, tc.headers); r.status != http.StatusForbidden {
				t.Errorf("status %d, want 403: %s", r.status, r.body)
			}
		})
	}
	if _, err := e.store.UserByLoginName(context.Background(), "csrf@example.test"); err == nil {
		t.Error("user created without a valid token")
	}
	anonymous := e.client()
	if r := anonymous.api("GET", "/api/admin/users", nil); r.status != http.StatusUnauthorized || r.env.Success {
		t.Errorf("anonymous: %d %s", r.status, r.body)
	}
	if r := anonymous.apiWith("GET", "/api/admin/users", nil, map[string]string{"Authorization": "Bearer not-a-token"}); r.status != http.StatusUnauthorized {
		t.Errorf("bad bearer token: %d %s", r.status, r.body)
	}
}

func TestAPIRights(t *testing.T) {
	e := newEnv(t)
	auditor := e.createUser(models.NewUser{LoginName: "auditor@example.test", Password: "password-0001"})
	e.grantRights(auditor.ID, models.RightAdminPortalLogin, models.RightAuditRead)
	c := e.client()
	c.signIn(auditor.LoginName, "password-0001")
	r := c.api("GET", "/api/admin/session", nil)
	var s struct {
		CSRFToken string `json:"csrf_token"`
	}
	json.Unmarshal(r.env.Result, &s)
	c.csrf = s.CSRFToken

	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/admin/users"}, {"POST", "/api/admin/users"}, {"GET", "/api/admin/roles"},
		{"GET", "/api/admin/apps"}, {"GET", "/api/admin/profiles"}, {"GET", "/api/admin/settings/portal"}, {"GET", "/api/admin/outbox"},
	} {
		if r := c.api(tc.method, tc.path, map[string]any{}); r.status != http.StatusForbidden {
			t.Errorf("%s %s: %d, want 403", tc.method, tc.path, r.status)
		}
	}
	if r := c.api("GET", "/api/admin/audit?action=admin.sign_in", nil); r.status != http.StatusOK {
		t.Errorf("audit: %d %s", r.status, r.body)
	}
	if r := c.api("GET", "/api/admin/audit?from=yesterday", nil); r.status != http.StatusBadRequest {
		t.Errorf("bad date: %d", r.status)
	}
}

func TestAPIAppsRolesProfiles(t *testing.T) {
	e := newEnv(t)
	client := e.createUser(models.NewUser{LoginName: "client@example.test", IsOAuthClient: true})
	c := e.apiClient()

	r := c.api("POST", "/api/admin/apps", map[string]any{"template": "oauth_client", "name": "API app", "application_id": "ApiApp"})
	if r.status != http.StatusCreated {
		t.Fatalf("create app: %d %s", r.status, r.body)
	}
	var app struct {
		ID       string `json:"id"`
		TokenURL string `json:"token_url"`
	}
	json.Unmarshal(r.env.Result, &app)
	if app.TokenURL != testBaseURL+"/oauth2/token/ApiApp" {
		t.Errorf("token URL %q", app.TokenURL)
	}
	r = c.api("POST", "/api/admin/profiles", map[string]any{"name": "TOTP", "challenges": [][]string{{"oath_otp"}}, "pass_through_minutes": 0})
	if r.status != http.StatusCreated {
		t.Fatalf("create profile: %d %s", r.status, r.body)
	}
	var profile struct {
		ID string `json:"id"`
	}
	json.Unmarshal(r.env.Result, &profile)
	r = c.api("POST", "/api/admin/apps", map[string]any{"template": "web_app", "name": "Launchable"})
	var web struct {
		ID string `json:"id"`
	}
	json.Unmarshal(r.env.Result, &web)
	r = c.api("POST", "/api/admin/roles", map[string]any{"name": "API role", "rights": []string{"audit_read"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create role: %d %s", r.status, r.body)
	}
	var role struct {
		ID string `json:"id"`
	}
	json.Unmarshal(r.env.Result, &role)

	cases := []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"settings", "PATCH", "/api/admin/apps/" + app.ID + "/settings", map[string]any{"enabled": false, "description": ""}, 200},
		{"bad application id", "PATCH", "/api/admin/apps/" + app.ID + "/settings", map[string]any{"application_id": "has space"}, 422},
		{"tokens", "PUT", "/api/admin/apps/" + app.ID + "/tokens", map[string]any{"allow_client_creds": true, "token_lifetime_seconds": 3600}, 200},
		{"tokens lifetime zero", "PUT", "/api/admin/apps/" + app.ID + "/tokens", map[string]any{"allow_client_creds": true, "token_lifetime_seconds": 0}, 422},
		{"scope", "POST", "/api/admin/apps/" + app.ID + "/scopes", map[string]any{"name": "tfu", "regexes": []string{"security/GetTokenForUser"}}, 201},
		{"bad regex", "POST", "/api/admin/apps/" + app.ID + "/scopes", map[string]any{"name": "bad", "regexes": []string{"a(b"}}, 422},
		{"scope test", "GET", "/api/admin/apps/" + app.ID + "/scopes/test?path=security/GetTokenForUser", nil, 200},
		{"permission", "PUT", "/api/admin/apps/" + app.ID + "/permissions", map[string]any{"principal_type": "user", "login_name": client.LoginName, "run": true}, 200},
		{"permission unknown user", "PUT", "/api/admin/apps/" + app.ID + "/permissions", map[string]any{"principal_type": "user", "login_name": "ghost@example.test", "run": true}, 422},
		{"policy", "PUT", "/api/admin/apps/" + web.ID + "/policy", map[string]any{"auth_profile_id": profile.ID}, 200},
		{"policy on OAuth client", "PUT", "/api/admin/apps/" + app.ID + "/policy", map[string]any{"auth_profile_id": profile.ID}, 404},
		{"get app", "GET", "/api/admin/apps/" + app.ID, nil, 200},
		{"injected app id", "GET", "/api/admin/apps/0%27%20OR%20%271%27%3D%271", nil, 404},
		{"add member", "POST", "/api/admin/roles/" + role.ID + "/members", map[string]any{"member_type": "user", "login_name": client.LoginName}, 200},
		{"remove member", "DELETE", "/api/admin/roles/" + role.ID + "/members/user/" + client.ID, nil, 200},
		{"delete sysadmin", "DELETE", "/api/admin/roles/sysadmin", nil, 409},
		{"rename sysadmin", "PUT", "/api/admin/roles/sysadmin", map[string]any{"name": "Root"}, 422},
		{"portal settings", "PUT", "/api/admin/settings/portal", map[string]any{"admin_profile_id": "", "user_profile_id": profile.ID}, 200},
		{"portal settings unknown profile", "PUT", "/api/admin/settings/portal", map[string]any{"admin_profile_id": "nope"}, 422},
		{"outbox", "GET", "/api/admin/outbox", nil, 200},
		{"audit", "GET", "/api/admin/audit?action=app.", nil, 200},
		{"delete profile", "DELETE", "/api/admin/profiles/" + profile.ID, nil, 200},
		{"delete role", "DELETE", "/api/admin/roles/" + role.ID, nil, 200},
		{"delete app", "DELETE", "/api/admin/apps/" + web.ID, nil, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.api(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	got := e.loadApp(app.ID)
	if got.Enabled || got.Description != "" || got.TokenLifetimeSeconds != 3600 {
		t.Errorf("app changes not saved: %+v", got)
	}
	rights, _ := e.store.AppRightsOf(context.Background(), client, app.ID)
	if !rights.Run {
		t.Error("Run permission not saved")
	}
	r = c.api("GET", "/api/admin/apps/"+app.ID+"/scopes/test?path=security/GetTokenForUserX", nil)
	if !strings.Contains(r.body, `"allowed":false`) {
		t.Errorf("longer path allowed: %s", r.body)
	}
}

func TestAPIUnauthorizedHasChallenge(t *testing.T) {
	e := newEnv(t)
	r := e.client().get("/api/admin/users")
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", r.status)
	}
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="portcullis"` {
		t.Errorf("WWW-Authenticate %q", got)
	}
}
