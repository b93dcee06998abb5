package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/portcullis-id/portcullis/models"
)

func TestUsersList(t *testing.T) {
	e := newEnv(t)
	e.createUser(models.NewUser{LoginName: "zed@example.test"})
	e.createUser(models.NewUser{LoginName: "svc@example.test", IsServiceUser: true})
	c := e.adminClient()

	cases := []struct {
		name  string
		path  string
		want  []string
		first string
	}{
		{name: "all", path: "/admin/users", want: []string{"admin@portcullis.local", "svc@example.test", "zed@example.test"}},
		{name: "service filter", path: "/admin/users?filter=service", want: []string{"svc@example.test"}},
		{name: "search", path: "/admin/users?q=ZED", want: []string{"zed@example.test"}},
		{name: "descending", path: "/admin/users?sort=login_name&dir=desc", first: "zed@example.test"},
		{name: "injected sort", path: "/admin/users?sort=name%3B%20DROP%20TABLE%20users", first: "admin@portcullis.local"},
		{name: "case expression sort", path: "/admin/users?sort=(CASE%20WHEN%201%3D1%20THEN%20login_name%20ELSE%20id%20END)", first: "admin@portcullis.local"},
		{name: "sleep in sort", path: "/admin/users?sort=login_name%2C(SELECT%20pg_sleep(5))", first: "admin@portcullis.local"},
		{name: "bad page number", path: "/admin/users?page=-3", first: "admin@portcullis.local"},
		{name: "huge page number", path: "/admin/users?page=99999999999999", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.get(tc.path)
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			var got []string
			r.find("user-row").Each(func(_ int, row *goquerySelection) {
				got = append(got, strings.TrimSpace(row.Find("a").First().Text()))
			})
			if tc.want != nil && strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("rows %v, want %v", got, tc.want)
			}
			if tc.first != "" && (len(got) == 0 || got[0] != tc.first) {
				t.Errorf("rows %v, want %s first", got, tc.first)
			}
		})
	}
	if _, err := e.store.ListUsers(context.Background(), models.UserQuery{}); err != nil {
		t.Errorf("users table damaged: %v", err)
	}
}

func userForm(login string) url.Values {
	return url.Values{
		"login_name":       {login},
		"login_suffix":     {"example.test"},
		"display_name":     {"Display " + login},
		"email":            {login + "@example.test"},
		"mobile_number":    {"+1 555 0100"},
		"password":         {"password-0001"},
		"password_confirm": {"password-0001"},
		"description":      {"created by a test"},
	}
}

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	c.get("/admin/users/new")

	form := userForm("client-a")
	form.Set("is_oauth_client", "true")
	r := c.post("/admin/users", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	u, err := e.store.UserByLoginName(context.Background(), "client-a@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if !u.IsOAuthClient || !u.IsServiceUser || !u.PasswordNeverExpires {
		t.Errorf("OAuth client flags not enforced: %+v", u)
	}
	if r.header.Get("Location") != "/admin/users/"+u.ID {
		t.Errorf("redirect to %q, want the user's page", r.header.Get("Location"))
	}
	if e.auditCount("user.create") != 1 {
		t.Error("creation not audited")
	}
	page := c.get("/admin/users/" + u.ID)
	if strings.Contains(page.body, "password-0001") {
		t.Error("the user page shows the password")
	}
	if got := page.find("flash").Text(); !strings.Contains(got, "created") {
		t.Errorf("flash %q", got)
	}
}

func TestCreateUserValidation(t *testing.T) {
	e := newEnv(t)
	e.createUser(models.NewUser{LoginName: "taken@example.test"})
	c := e.adminClient()
	c.get("/admin/users/new")

	cases := []struct {
		name   string
		change func(url.Values)
		field  string
	}{
		{"duplicate name in other case", func(f url.Values) { f.Set("login_name", "TAKEN") }, "login_name"},
		{"login name with a space", func(f url.Values) { f.Set("login_name", "two words") }, "login_name"},
		{"empty login name", func(f url.Values) { f.Set("login_name", ""); f.Set("login_suffix", "") }, "login_name"},
		{"short password", func(f url.Values) { f.Set("password", "short"); f.Set("password_confirm", "short") }, "password"},
		{"passwords differ", func(f url.Values) { f.Set("password_confirm", "password-0002") }, "password_confirm"},
		{"bad email", func(f url.Values) { f.Set("email", "not-an-address") }, "email"},
		{"bad mobile", func(f url.Values) { f.Set("mobile_number", "call me") }, "mobile_number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.auditCount("user.create")
			form := userForm("newbie")
			tc.change(form)
			r := c.post("/admin/users", form)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.status)
			}
			if r.find("error-"+tc.field).Length() != 1 {
				t.Errorf("no error shown on %s", tc.field)
			}
			if v, _ := r.find("input-password").Attr("value"); v != "" {
				t.Errorf("password echoed back: %q", v)
			}
			if strings.Contains(r.body, "password-0001") {
				t.Error("the page contains the submitted password")
			}
			if e.auditCount("user.create") != before {
				t.Error("a rejected user was created")
			}
		})
	}
	if _, err := e.store.UserByLoginName(context.Background(), "newbie@example.test"); err == nil {
		t.Error("a rejected user was saved")
	}
}

func TestUpdateUserClearsFields(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(models.NewUser{
		LoginName: "carol@example.test", DisplayName: "Carol", Email: "carol@example.test",
		MobileNumber: "+1 555 0100", Description: "notes", RequirePasswordChange: true, PasswordNeverExpires: true,
	})
	c := e.adminClient()
	c.get("/admin/users/" + u.ID)

	r := c.post("/admin/users/"+u.ID, url.Values{"login_name": {"Carol@Example.test"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	got := e.user(u.ID)
	if got.DisplayName != "" || got.Email != "" || got.MobileNumber != "" || got.Description != "" {
		t.Errorf("cleared fields kept old values: %+v", got)
	}
	if got.RequirePasswordChange || got.PasswordNeverExpires {
		t.Errorf("unticked boxes kept old values: %+v", got)
	}
	if got.LoginName != "Carol@Example.test" {
		t.Errorf("login name %q", got.LoginName)
	}
	page := c.get("/admin/users/" + u.ID)
	if _, checked := page.find("check-f-password_never_expires").Attr("checked"); checked {
		t.Error("reloaded page shows Password never expires ticked")
	}
	if e.auditCount("user.update") != 1 {
		t.Error("update not audited")
	}
}

func TestUserActions(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(models.NewUser{LoginName: "dave@example.test"})
	c := e.adminClient()
	c.get("/admin/users/" + u.ID)
	steps := []struct {
		name  string
		path  string
		form  url.Values
		check func(*models.User) bool
	}{
		{"lock", "/lock", nil, func(u *models.User) bool { return u.Locked }},
		{"unlock", "/unlock", nil, func(u *models.User) bool { return !u.Locked }},
		{"disable", "/disable", nil, func(u *models.User) bool { return u.Disabled }},
		{"enable", "/enable", nil, func(u *models.User) bool { return !u.Disabled }},
		{"reset MFA", "/reset-mfa", nil, func(u *models.User) bool { return !u.HasTOTP() }},
		{"reset password", "/password", url.Values{"password": {"new-password-0002"}, "password_confirm": {"new-password-0002"}, "require_password_change": {"true"}},
			func(u *models.User) bool { return u.RequirePasswordChange }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if r := c.get("/admin/users/" + u.ID + st.path); r.status != http.StatusNotFound {
				t.Errorf("GET on the action: %d, want 404", r.status)
			}
			r := c.post("/admin/users/"+u.ID+st.path, st.form)
			if r.status != http.StatusSeeOther {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if !st.check(e.user(u.ID)) {
				t.Errorf("state not changed: %+v", e.user(u.ID))
			}
		})
	}
	t.Run("mismatched passwords", func(t *testing.T) {
		r := c.post("/admin/users/"+u.ID+"/password", url.Values{"password": {"new-password-0003"}, "password_confirm": {"other"}})
		if r.status != http.StatusUnprocessableEntity || r.find("error-password").Length() != 1 {
			t.Errorf("status %d, want 422 with a password error", r.status)
		}
	})
	t.Run("delete", func(t *testing.T) {
		r := c.post("/admin/users/"+u.ID+"/delete", nil)
		if r.status != http.StatusSeeOther {
			t.Fatalf("status %d", r.status)
		}
		if _, err := e.store.UserByID(context.Background(), u.ID); err == nil {
			t.Error("user still exists")
		}
	})
	t.Run("delete self", func(t *testing.T) {
		root, _ := e.store.UserByLoginName(context.Background(), models.BootstrapAdminName)
		r := c.post("/admin/users/"+root.ID+"/delete", nil)
		if r.status != http.StatusConflict {
			t.Errorf("status %d, want 409", r.status)
		}
	})
}

func TestUserIDsAreParsed(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	for _, path := range []string{
		"/admin/users/1%20OR%201%3D1",
		"/admin/users/0%27%20OR%20%271%27%3D%271",
		"/admin/users/00000000-0000-0000-0000-000000000000",
	} {
		if r := c.get(path); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.status)
		}
		c.get("/admin/users")
		if r := c.post(path+"/delete", nil); r.status != http.StatusNotFound {
			t.Errorf("POST %s/delete: %d, want 404", path, r.status)
		}
	}
}

func TestUsersNeedRight(t *testing.T) {
	e := newEnv(t)
	auditor := e.createUser(models.NewUser{LoginName: "auditor@example.test", Password: "password-0001"})
	e.grantRights(auditor.ID, models.RightAdminPortalLogin, models.RightAuditRead)
	victim := e.createUser(models.NewUser{LoginName: "victim@example.test"})
	c := e.client()
	c.signIn(auditor.LoginName, "password-0001")

	if r := c.get("/admin/users"); r.status != http.StatusForbidden {
		t.Errorf("GET /admin/users: %d, want 403", r.status)
	}
	c.get("/admin/audit")
	if r := c.post("/admin/users/"+victim.ID+"/delete", nil); r.status != http.StatusForbidden {
		t.Errorf("delete: %d, want 403", r.status)
	}
	if r := c.post("/admin/users", userForm("sneaky")); r.status != http.StatusForbidden {
		t.Errorf("create: %d, want 403", r.status)
	}
	e.user(victim.ID)
}

func TestCSRFRejected(t *testing.T) {
	e := newEnv(t)
	victim := e.createUser(models.NewUser{LoginName: "victim@example.test"})
	c := e.adminClient()
	c.get("/admin/users")
	other := e.adminClient()
	other.get("/admin/users")

	cases := []struct {
		name    string
		form    url.Values
		headers map[string]string
		cookie  string
	}{
		{"no token, foreign origin", url.Values{}, map[string]string{"Origin": "https://evil.example"}, ""},
		{"no token, same origin", url.Values{}, map[string]string{"Origin": testOrigin}, ""},
		{"token of another session", url.Values{"_csrf": {other.csrf}}, map[string]string{"Origin": testOrigin}, ""},
		{"token of another session with its cookie", url.Values{"_csrf": {other.csrf}}, map[string]string{"Origin": testOrigin}, other.cookies["portcullis_admin_csrf"]},
		{"cookie only", url.Values{}, map[string]string{"Origin": testOrigin, "X-CSRF-Token": ""}, ""},
		{"valid token, cross-site fetch", url.Values{"_csrf": {c.csrf}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, ""},
		{"valid token, foreign origin", url.Values{"_csrf": {c.csrf}}, map[string]string{"Origin": "https://evil.example"}, ""},
		{"valid token, null origin", url.Values{"_csrf": {c.csrf}}, map[string]string{"Origin": "null"}, ""},
	}
	targets := []struct {
		name, path string
		form       url.Values
	}{
		{"create user", "/admin/users", userForm("csrf-probe-01")},
		{"delete user", "/admin/users/" + victim.ID + "/delete", nil},
		{"disable user", "/admin/users/" + victim.ID + "/disable", nil},
	}
	for _, target := range targets {
		for _, tc := range cases {
			t.Run(target.name+"/"+tc.name, func(t *testing.T) {
				form := url.Values{}
				for k, v := range target.form {
					form[k] = v
				}
				for k, v := range tc.form {
					form[k] = v
				}
				saved := c.cookies["portcullis_admin_csrf"]
				if tc.cookie != "" {
					c.cookies["portcullis_admin_csrf"] = tc.cookie
				}
				r := c.postRaw(target.path, form, tc.headers)
				c.cookies["portcullis_admin_csrf"] = saved
				if r.status != http.StatusForbidden {
					t.Errorf("status %d, want 403", r.status)
				}
			})
		}
	}
	if _, err := e.store.UserByLoginName(context.Background(), "csrf-probe-01@example.test"); err == nil {
		t.Error("a user was created without a valid token")
	}
	if got := e.user(victim.ID); got.Disabled {
		t.Error("the victim was disabled without a valid token")
	}
	if r := c.post("/admin/users/"+victim.ID+"/disable", nil); r.status != http.StatusSeeOther {
		t.Errorf("control request with a valid token: %d", r.status)
	}
}

func TestConcurrentUserCreation(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	c.get("/admin/users/new")

	const n = 50
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("u%d-%s", i, strings.Repeat("x", i*3))
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := userForm(name)
			form.Set("_csrf", c.csrf)
			req := newFormRequest("/admin/users", form)
			req.Header.Set("Origin", testOrigin)
			for k, v := range c.cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			resp, err := e.app.Test(req, 30000)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusSeeOther {
			t.Errorf("creating %s: status %d", names[i], st)
		}
	}
	for _, name := range names {
		u, err := e.store.UserByLoginName(context.Background(), name+"@example.test")
		if err != nil {
			t.Errorf("%s not stored: %v", name, err)
			continue
		}
		if u.LoginName != name+"@example.test" || u.DisplayName != "Display "+name || u.Email != name+"@example.test" {
			t.Errorf("stored %q / %q / %q for %s", u.LoginName, u.DisplayName, u.Email, name)
		}
	}
}

func TestOAuthClientFlagsCannotBeUnticked(t *testing.T) {
	e := newEnv(t)
	client := e.createUser(models.NewUser{LoginName: "client@example.test", IsOAuthClient: true})
	c := e.apiClient()
	for _, field := range []string{"is_service_user", "password_never_expires"} {
		t.Run(field, func(t *testing.T) {
			r := c.api("PATCH", "/api/admin/users/"+client.ID, map[string]any{field: false})
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			var result struct {
				Errors []struct{ Field, Message string } `json:"errors"`
			}
			json.Unmarshal(r.env.Result, &result)
			if len(result.Errors) != 1 || result.Errors[0].Field != field || !strings.Contains(result.Errors[0].Message, "Untick Is OAuth confidential client first") {
				t.Errorf("field errors %+v", result.Errors)
			}
		})
	}
	if got := e.user(client.ID); !got.IsServiceUser || !got.PasswordNeverExpires {
		t.Errorf("flags changed: %+v", got)
	}

	portal := e.adminClient()
	portal.get("/admin/users/" + client.ID)
	form := url.Values{"login_name": {client.LoginName}, "is_oauth_client": {"true"}, "password_never_expires": {"true"}}
	r := portal.post("/admin/users/"+client.ID, form)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("portal: status %d, want 422", r.status)
	}
	if msg := r.find("error-is_service_user").Text(); !strings.Contains(msg, "always a service user") {
		t.Errorf("portal field error %q", msg)
	}
}
