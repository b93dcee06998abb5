package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// failurePage returns a failed sign-in's page without its CSRF token and
// with the echoed login name replaced.
func failurePage(t *testing.T, r *response, loginName string) string {
	t.Helper()
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: %s", r.status, r.body)
	}
	return strings.ReplaceAll(csrfValue.ReplaceAllString(r.body, ""), loginName, "NAME")
}

func TestSignInLockoutLooksLikeOtherFailures(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Now = mfatest.NewClock().Now
		s.Settings.SignInMaxFailures = 3
		e := newEnvWithStore(t, s)
		u := e.createUser(models.NewUser{LoginName: modeltest.Name("target"), Password: "password-0001"})
		e.addToSysAdmin(u.ID)

		c := e.client()
		c.get("/admin/login")
		unknown := failurePage(t, c.post("/admin/login", url.Values{"login_name": {"no-such-user-01@example.test"}, "password": {"x"}}), "no-such-user-01@example.test")
		for range 3 {
			c.post("/admin/login", url.Values{"login_name": {u.LoginName}, "password": {"wrong-password"}})
		}
		locked := failurePage(t, c.post("/admin/login", url.Values{"login_name": {u.LoginName}, "password": {"password-0001"}}), u.LoginName)
		if locked != unknown {
			t.Error("the page of a locked-out sign-in differs from the unknown-user page")
		}
		if got := e.auditCount("user.sign_in_lockout"); got != 1 {
			t.Errorf("%d lockout audit events, want 1", got)
		}
		events, err := s.ListAudit(t.Context(), models.AuditQuery{Action: "admin.sign_in", Actor: u.LoginName})
		if err != nil || events.Total == 0 || events.Events[0].Details != "reason: "+models.SignInLocked {
			t.Errorf("latest sign-in audit event: %+v %v", events.Events, err)
		}

		if err := s.SetUserLocked(t.Context(), models.Actor{Name: "test"}, u.ID, false); err != nil {
			t.Fatal(err)
		}
		c.signIn(u.LoginName, "password-0001")
	})
}

func TestSignInRateLimitPerAddress(t *testing.T) {
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	s.Settings.SignInRateLimit = 3
	e := newEnvWithStore(t, s)
	c := e.client()
	c.get("/admin/login")
	for i := 1; i <= 3; i++ {
		if r := c.post("/admin/login", url.Values{"login_name": {"someone@example.test"}, "password": {"x"}}); r.status != http.StatusUnauthorized {
			t.Fatalf("post %d: status %d, want 401", i, r.status)
		}
	}
	r := c.post("/admin/login", url.Values{"login_name": {models.BootstrapAdminName}, "password": {adminPassword}})
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("post 4: status %d, want 429", r.status)
	}
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	if !strings.Contains(r.body, "Too many sign-in attempts") || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("429 page: %s %s", r.header.Get("Content-Type"), r.body)
	}
	if r := c.get("/admin/login"); r.status != http.StatusOK {
		t.Errorf("the sign-in page itself: status %d", r.status)
	}
}
