package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/handlers/admin"
	"github.com/portcullis-id/portcullis/models"
)

func TestSignInAndOut(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	r := c.get("/admin/users")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login" {
		t.Fatalf("anonymous /admin/users: %d %q, want a redirect to sign-in", r.status, r.header.Get("Location"))
	}
	c.signIn(models.BootstrapAdminName, adminPassword)
	r = c.get("/admin/users")
	if r.status != http.StatusOK {
		t.Fatalf("/admin/users after sign-in: %d", r.status)
	}
	if got := r.find("signed-in-user").Text(); !strings.Contains(got, models.BootstrapAdminName) {
		t.Errorf("header shows %q, want the signed-in user", got)
	}
	if e.auditCount("admin.sign_in") != 1 {
		t.Error("sign-in was not audited")
	}

	old := c.cookies[admin.SessionCookieName]
	r = c.post("/admin/logout", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.status)
	}
	replay := e.client()
	replay.cookies[admin.SessionCookieName] = old
	if r := replay.get("/admin/users"); r.status != http.StatusSeeOther {
		t.Errorf("old session cookie after sign-out: %d, want a redirect to sign-in", r.status)
	}
}

func TestSignOutNeedsPost(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	if r := c.get("/admin/logout"); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /admin/logout: %d, want 404 or 405", r.status)
	}
	if r := c.get("/admin/users"); r.status != http.StatusOK {
		t.Errorf("session ended by a GET: %d", r.status)
	}
}

func TestSessionFixation(t *testing.T) {
	e := newEnv(t)
	const planted = "attacker-chosen-0001"
	c := e.client()
	c.cookies[admin.SessionCookieName] = planted

	r := c.get("/admin/login")
	if strings.Contains(r.header.Get("Set-Cookie"), planted) {
		t.Error("the sign-in page echoed the planted session id")
	}
	if c.cookies[admin.SessionCookieName] == planted {
		t.Error("the planted session id was kept before sign-in")
	}
	beforeSignIn := c.cookies[admin.SessionCookieName]

	r = c.post("/admin/login", url.Values{"login_name": {models.BootstrapAdminName}, "password": {adminPassword}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	afterSignIn := c.cookies[admin.SessionCookieName]
	if afterSignIn == "" || afterSignIn == planted || afterSignIn == beforeSignIn {
		t.Errorf("session id did not change at sign-in: before %q, after %q", beforeSignIn, afterSignIn)
	}

	attacker := e.client()
	attacker.cookies[admin.SessionCookieName] = planted
	if r := attacker.get("/admin/users"); r.status != http.StatusSeeOther {
		t.Errorf("planted id after the victim signed in: %d, want a redirect to sign-in", r.status)
	}
	preLogin := e.client()
	preLogin.cookies[admin.SessionCookieName] = beforeSignIn
	if r := preLogin.get("/admin/users"); r.status != http.StatusSeeOther {
		t.Errorf("pre-sign-in id after sign-in: %d, want a redirect to sign-in", r.status)
	}
}

// csrfValue matches the token in a form, so pages can be compared apart
// from it.
var csrfValue = regexp.MustCompile(`name="_csrf" value="[^"]*"`)

func TestSignInFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	disabled := e.createUser(models.NewUser{LoginName: "disabled@example.test", Password: "password-0001"})
	locked := e.createUser(models.NewUser{LoginName: "locked@example.test", Password: "password-0001"})
	service := e.createUser(models.NewUser{LoginName: "svc@example.test", Password: "password-0001", IsServiceUser: true})
	plain := e.createUser(models.NewUser{LoginName: "plain@example.test", Password: "password-0001"})
	for _, id := range []string{disabled.ID, locked.ID, service.ID} {
		e.addToSysAdmin(id)
	}
	e.setDisabled(disabled.ID)
	e.setLocked(locked.ID)

	cases := []struct {
		name, login, password string
	}{
		{"unknown user", "no-such-user-01@example.test", "x-password"},
		{"wrong password", models.BootstrapAdminName, "wrong-password"},
		{"disabled user", disabled.LoginName, "password-0001"},
		{"locked user", locked.LoginName, "password-0001"},
		{"service user", service.LoginName, "password-0001"},
		{"no portal right", plain.LoginName, "password-0001"},
	}
	var first string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client()
			c.get("/admin/login")
			r := c.post("/admin/login", url.Values{"login_name": {tc.login}, "password": {tc.password}})
			if r.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", r.status)
			}
			if got := r.find("login-error").Text(); !strings.Contains(got, "incorrect") {
				t.Errorf("message %q", got)
			}
			// The page echoes the login name, which differs per case.
			page := strings.ReplaceAll(csrfValue.ReplaceAllString(r.body, ""), tc.login, "NAME")
			if first == "" {
				first = page
			} else if page != first {
				t.Errorf("page differs from the unknown-user page")
			}
		})
	}
	if got := e.auditCount("admin.sign_in"); got != int64(len(cases)) {
		t.Errorf("%d sign-in audit events, want %d", got, len(cases))
	}
}

func TestRequiredPasswordChange(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(models.NewUser{LoginName: "fresh@example.test", Password: "password-0001", RequirePasswordChange: true})
	e.addToSysAdmin(u.ID)
	c := e.client()
	c.get("/admin/login")
	r := c.post("/admin/login", url.Values{"login_name": {u.LoginName}, "password": {"password-0001"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/password" {
		t.Fatalf("sign-in: %d %q, want a redirect to /admin/password", r.status, r.header.Get("Location"))
	}
	if r := c.get("/admin/users"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/password" {
		t.Errorf("portal before the change: %d %q", r.status, r.header.Get("Location"))
	}
	c.get("/admin/password")
	cases := []struct {
		name, password, confirm string
	}{
		{"mismatch", "new-password-0002", "other-password-0002"},
		{"same as before", "password-0001", "password-0001"},
		{"too short", "short", "short"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/admin/password", url.Values{"password": {tc.password}, "password_confirm": {tc.confirm}})
			if r.status != http.StatusUnprocessableEntity || r.find("error-password").Length() != 1 {
				t.Errorf("status %d, want 422 with a password error", r.status)
			}
		})
	}
	before := c.cookies[admin.SessionCookieName]
	r = c.post("/admin/password", url.Values{"password": {"new-password-0002"}, "password_confirm": {"new-password-0002"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Fatalf("change: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	if c.cookies[admin.SessionCookieName] == before {
		t.Error("session id unchanged after the password change")
	}
	if r := c.get("/admin/users"); r.status != http.StatusOK {
		t.Errorf("portal after the change: %d", r.status)
	}
	got := e.user(u.ID)
	if got.RequirePasswordChange {
		t.Error("the flag was not cleared")
	}
	if ok, _ := e.store.Hasher.Verify(got.PasswordHash, "new-password-0002"); !ok {
		t.Error("new password not saved")
	}
}

func TestEndedSessionClearsCookieOnError(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(models.NewUser{LoginName: "leaving@example.test", Password: "password-0001"})
	e.addToSysAdmin(u.ID)
	c := e.client()
	c.signIn(u.LoginName, "password-0001")
	c.get("/admin/users")
	root, err := e.store.UserByLoginName(t.Context(), models.BootstrapAdminName)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RemoveRoleMember(t.Context(), root, models.RoleSysAdmin, models.PrincipalUser, u.ID); err != nil {
		t.Fatal(err)
	}

	r := c.post("/admin/users", url.Values{"login_name": {"new@example.test"}})
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", r.status)
	}
	if _, ok := c.cookies[admin.SessionCookieName]; ok {
		t.Error("the error response did not clear the ended session's cookie")
	}
}
