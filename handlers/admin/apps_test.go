package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
)

// addApp adds an app from the catalog and returns it.
func (c *client) addApp(template string) *models.App {
	c.e.t.Helper()
	c.get("/admin/webapps/new")
	r := c.post("/admin/webapps", url.Values{"template": {template}})
	if r.status != http.StatusSeeOther {
		c.e.t.Fatalf("add %s: %d %s", template, r.status, r.body)
	}
	parts := strings.Split(r.header.Get("Location"), "/")
	app, err := c.e.store.AppByID(context.Background(), parts[3])
	if err != nil {
		c.e.t.Fatalf("added app not found from %q: %v", r.header.Get("Location"), err)
	}
	return app
}

func (e *env) loadApp(id string) *models.App {
	e.t.Helper()
	app, err := e.store.AppByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return app
}

func TestOAuthClientSetup(t *testing.T) {
	e := newEnv(t)
	client := e.createUser(models.NewUser{LoginName: "client-a@example.test", IsOAuthClient: true})
	c := e.adminClient()
	app := c.addApp(models.TemplateOAuthClient)

	r := c.get("/admin/webapps/" + app.ID + "/settings")
	if r.status != http.StatusOK {
		t.Fatalf("settings page: %d", r.status)
	}
	r = c.post("/admin/webapps/"+app.ID+"/settings", url.Values{
		"application_id": {"AppA"}, "name": {"App A"}, "description": {"first app"}, "enabled": {"true"},
	})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save settings: %d %s", r.status, r.body)
	}
	r = c.get("/admin/webapps/" + app.ID + "/settings")
	if got := r.find("token-url").Text(); got != testBaseURL+"/oauth2/token/AppA" {
		t.Errorf("token URL %q", got)
	}

	r = c.post("/admin/webapps/"+app.ID+"/tokens", url.Values{"allow_client_creds": {"true"}, "allow_auth_code": {"true"}, "token_lifetime_hours": {"2"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save tokens: %d %s", r.status, r.body)
	}
	c.get("/admin/webapps/" + app.ID + "/tokens")
	c.post("/admin/webapps/"+app.ID+"/tokens", url.Values{"allow_client_creds": {"true"}, "token_lifetime_hours": {"5"}})

	r = c.post("/admin/webapps/"+app.ID+"/scope", url.Values{"name": {"tfu"}, "description": {"mint user tokens"}, "regexes": {"security/GetTokenForUser"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add scope: %d %s", r.status, r.body)
	}
	r = c.get("/admin/webapps/" + app.ID + "/scope?test_path=/Security/GetTokenForUser?user=x")
	if got := r.find("scope-test-result").Text(); !strings.Contains(got, "tfu") {
		t.Errorf("tester result %q, want the tfu scope", got)
	}
	r = c.get("/admin/webapps/" + app.ID + "/scope?test_path=security/GetTokenForUserX")
	if got := r.find("scope-test-result").Text(); !strings.Contains(got, "No scope") {
		t.Errorf("tester result for a longer path %q, want no match", got)
	}

	r = c.post("/admin/webapps/"+app.ID+"/permissions", url.Values{
		"principal_type": {"user"}, "login_name": {"CLIENT-A@example.test"}, "run": {"true"},
	})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add permission: %d %s", r.status, r.body)
	}

	got := e.loadApp(app.ID)
	if got.AppIDString() != "AppA" || got.Name != "App A" || !got.Enabled {
		t.Errorf("settings not saved: %+v", got)
	}
	if !got.AllowClientCreds || got.AllowAuthCode || got.TokenLifetimeSeconds != 5*3600 {
		t.Errorf("tokens not saved: %+v", got)
	}
	scopes, _ := e.store.ScopesOfApp(context.Background(), app.ID)
	if len(scopes) != 1 || scopes[0].Name != "tfu" || scopes[0].Regexes != "security/GetTokenForUser" {
		t.Errorf("scopes %+v", scopes)
	}
	rights, _ := e.store.AppRightsOf(context.Background(), client, app.ID)
	if !rights.Run || rights.Grant || rights.View {
		t.Errorf("rights %+v, want Run only", rights)
	}
	for _, action := range []string{"app.create", "app.update_settings", "app.update_tokens", "scope.create", "app.set_permission"} {
		if e.auditCount(action) == 0 {
			t.Errorf("%s not audited", action)
		}
	}
}

func TestAppSettingsUntickAndClear(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	app := c.addApp(models.TemplateOAuthClient)
	c.post("/admin/webapps/"+app.ID+"/settings", url.Values{"application_id": {"AppB"}, "name": {"B"}, "description": {"text"}, "enabled": {"true"}})
	c.get("/admin/webapps/" + app.ID + "/settings")
	r := c.post("/admin/webapps/"+app.ID+"/settings", url.Values{"application_id": {"AppB"}, "name": {"B"}, "description": {""}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	got := e.loadApp(app.ID)
	if got.Enabled || got.Description != "" {
		t.Errorf("Enabled or Description kept old values: %+v", got)
	}
	r = c.get("/admin/webapps/" + app.ID + "/settings")
	if _, checked := r.find("check-f-enabled").Attr("checked"); checked {
		t.Error("reload shows Enabled ticked")
	}

	web := c.addApp(models.TemplateWebApp)
	c.post("/admin/webapps/"+web.ID+"/settings", url.Values{"launch_url": {"https://app.example/sso"}, "failure_urls": {"https://app.example/failed"}, "launch_method": {"form_post"}})
	c.get("/admin/webapps/" + web.ID + "/settings")
	r = c.post("/admin/webapps/"+web.ID+"/settings", url.Values{"launch_url": {""}, "failure_urls": {""}, "launch_method": {"redirect"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("clear web settings: %d %s", r.status, r.body)
	}
	if got := e.loadApp(web.ID); got.LaunchURL != "" || got.FailureURLs != "" || got.LaunchMethod != models.LaunchRedirect {
		t.Errorf("cleared web settings kept old values: %+v", got)
	}
}

func TestAppValidation(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	taken := c.addApp(models.TemplateOAuthClient)
	c.post("/admin/webapps/"+taken.ID+"/settings", url.Values{"application_id": {"Taken"}, "name": {"T"}, "enabled": {"true"}})
	app := c.addApp(models.TemplateOAuthClient)
	web := c.addApp(models.TemplateWebApp)

	cases := []struct {
		name, path string
		form       url.Values
		field      string
		message    string
	}{
		{"application id with space", "/settings", url.Values{"application_id": {"App A"}, "name": {"x"}}, "application_id", "no spaces"},
		{"duplicate application id", "/settings", url.Values{"application_id": {"TAKEN"}, "name": {"x"}}, "application_id", "already"},
		{"empty name", "/settings", url.Values{"application_id": {"Fine"}, "name": {""}}, "name", ""},
		{"lifetime not a number", "/tokens", url.Values{"token_lifetime_hours": {"five"}}, "token_lifetime_hours", ""},
		{"lifetime zero", "/tokens", url.Values{"token_lifetime_hours": {"0"}}, "token_lifetime_hours", ""},
		{"lifetime too long", "/tokens", url.Values{"token_lifetime_hours": {"9999"}}, "token_lifetime_hours", ""},
		{"invalid regex", "/scope", url.Values{"name": {"bad"}, "regexes": {"users/(unclosed"}}, "regexes", "missing closing )"},
		{"scope without regex", "/scope", url.Values{"name": {"empty"}, "regexes": {""}}, "regexes", ""},
		{"scope name with space", "/scope", url.Values{"name": {"two words"}, "regexes": {"x"}}, "name", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/admin/webapps/"+app.ID+tc.path, tc.form)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			msg := r.find("error-" + tc.field).Text()
			if msg == "" {
				t.Fatalf("no error on %s", tc.field)
			}
			if !strings.Contains(msg, tc.message) {
				t.Errorf("message %q, want it to contain %q", msg, tc.message)
			}
		})
	}
	if got := e.loadApp(app.ID); got.AppIDString() == "App A" || got.Name == "" {
		t.Errorf("a rejected change was saved: %+v", got)
	}

	r := c.post("/admin/webapps/"+web.ID+"/settings", url.Values{"launch_url": {"javascript:alert(1)"}, "launch_method": {"redirect"}})
	if r.status != http.StatusUnprocessableEntity || r.find("error-launch_url").Length() != 1 {
		t.Errorf("javascript launch URL: %d", r.status)
	}
	r = c.post("/admin/webapps/"+web.ID+"/policy", url.Values{"auth_profile_id": {"00000000-0000-0000-0000-000000000000"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown profile: %d, want 422", r.status)
	}
}

func TestAppTabsByTemplate(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	oauth := c.addApp(models.TemplateOAuthClient)
	web := c.addApp(models.TemplateWebApp)
	cases := []struct {
		name, path string
		status     int
	}{
		{"oauth settings", "/admin/webapps/" + oauth.ID + "/settings", 200},
		{"oauth tokens", "/admin/webapps/" + oauth.ID + "/tokens", 200},
		{"oauth scope", "/admin/webapps/" + oauth.ID + "/scope", 200},
		{"oauth permissions", "/admin/webapps/" + oauth.ID + "/permissions", 200},
		{"oauth has no policy", "/admin/webapps/" + oauth.ID + "/policy", 404},
		{"web description", "/admin/webapps/" + web.ID + "/description", 200},
		{"web settings", "/admin/webapps/" + web.ID + "/settings", 200},
		{"web policy", "/admin/webapps/" + web.ID + "/policy", 200},
		{"web permissions", "/admin/webapps/" + web.ID + "/permissions", 200},
		{"web has no tokens", "/admin/webapps/" + web.ID + "/tokens", 404},
		{"open goes to first tab", "/admin/webapps/" + web.ID, 303},
		{"list", "/admin/webapps", 200},
		{"catalog", "/admin/webapps/new", 200},
		{"injected id", "/admin/webapps/0%27%20OR%20%271%27%3D%271", 404},
		{"injected id tab", "/admin/webapps/1%20OR%201%3D1/settings", 404},
		{"delete by GET", "/admin/webapps/" + web.ID + "/delete", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.get(tc.path); r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
		})
	}
	r := c.get("/admin/webapps/" + web.ID + "/description")
	if got := r.find("app-key").Text(); got != web.AppKey {
		t.Errorf("App Key shown %q, want %q", got, web.AppKey)
	}
	e.loadApp(web.ID)
}

func TestWebAppPolicyAndDelete(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	c.get("/admin/profiles/new")
	r := c.post("/admin/profiles", url.Values{"name": {"TOTP then question"}, "challenge1": {models.MechOATH}, "challenge2": {models.MechSecurityQuestion, models.MechEmail}, "pass_through_minutes": {"0"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create profile: %d %s", r.status, r.body)
	}
	profiles, _ := e.store.ListAuthProfiles(context.Background())
	if len(profiles) != 1 || profiles[0].Challenge1 != models.MechOATH || profiles[0].Challenge2 != models.MechSecurityQuestion+" "+models.MechEmail {
		t.Fatalf("profiles %+v", profiles)
	}
	web := c.addApp(models.TemplateWebApp)
	r = c.post("/admin/webapps/"+web.ID+"/policy", url.Values{"auth_profile_id": {profiles[0].ID}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("policy: %d %s", r.status, r.body)
	}
	if got := e.loadApp(web.ID); got.AuthProfileID == nil || *got.AuthProfileID != profiles[0].ID {
		t.Errorf("policy not saved: %+v", got)
	}
	c.get("/admin/webapps/" + web.ID + "/policy")
	c.post("/admin/webapps/"+web.ID+"/policy", url.Values{"auth_profile_id": {""}})
	if got := e.loadApp(web.ID); got.AuthProfileID != nil {
		t.Errorf("clearing the policy was not saved: %+v", got)
	}
	c.get("/admin/webapps/" + web.ID + "/policy")
	if r := c.post("/admin/webapps/"+web.ID+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	if _, err := e.store.AppByID(context.Background(), web.ID); err == nil {
		t.Error("app still exists")
	}
}

func TestAppsNeedRight(t *testing.T) {
	e := newEnv(t)
	userAdmin := e.createUser(models.NewUser{LoginName: "useradmin@example.test", Password: "password-0001"})
	e.grantRights(userAdmin.ID, models.RightAdminPortalLogin, models.RightUserManagement)
	root := e.adminClient()
	app := root.addApp(models.TemplateOAuthClient)

	c := e.client()
	c.signIn(userAdmin.LoginName, "password-0001")
	c.get("/admin/users")
	for _, path := range []string{"/admin/webapps", "/admin/webapps/" + app.ID + "/settings", "/admin/profiles", "/admin/settings/portal", "/admin/outbox", "/admin/audit", "/admin/roles"} {
		if r := c.get(path); r.status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, r.status)
		}
	}
	c.get("/admin/users")
	if r := c.post("/admin/webapps/"+app.ID+"/delete", nil); r.status != http.StatusForbidden {
		t.Errorf("delete app: %d, want 403", r.status)
	}
	if r := c.post("/admin/webapps/"+app.ID+"/settings", url.Values{"application_id": {"X"}, "name": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("settings: %d, want 403", r.status)
	}
	e.loadApp(app.ID)
	nav := c.get("/admin/users").find("main-nav").Text()
	if strings.Contains(nav, "Web Apps") || !strings.Contains(nav, "Users") {
		t.Errorf("navigation %q shows sections without the right", nav)
	}
}
