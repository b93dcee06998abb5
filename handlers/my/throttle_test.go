package my_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestMySignInLockoutLooksLikeOtherFailures(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Settings.SignInMaxFailures = 3
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		normalize := func(resp *response, login string) string {
			t.Helper()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
			page := csrfValue.ReplaceAllString(resp.body, "")
			return strings.ReplaceAll(page, `value="`+login+`"`, `value=""`)
		}
		unknown := normalize(e.browser(t).signIn("no-such-user-01@example.test", "x"), "no-such-user-01@example.test")
		b := e.browser(t)
		for range 3 {
			b.signIn(u.LoginName, "wrong-password")
		}
		if locked := normalize(b.signIn(u.LoginName, mfatest.Password), u.LoginName); locked != unknown {
			t.Error("the page of a locked-out sign-in differs from the unknown-user page")
		}
		if b.get("/my").StatusCode != http.StatusSeeOther {
			t.Error("the locked-out sign-in opened the portal")
		}
		events, err := s.ListAudit(t.Context(), models.AuditQuery{Action: "user.sign_in_lockout"})
		if err != nil || events.Total != 1 || events.Events[0].ObjectID != u.ID {
			t.Errorf("lockout audit events: %+v %v", events.Events, err)
		}
	})
}

func TestMySignInRateLimit(t *testing.T) {
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	s.Settings.SignInRateLimit = 2
	e := newEnv(t, s)
	b := e.browser(t)
	for i := 1; i <= 2; i++ {
		if resp := b.signIn("someone@example.test", "x"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("post %d: status %d, want 401", i, resp.StatusCode)
		}
	}
	resp := b.signIn("someone@example.test", "x")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("post 3: status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(resp.body, "Too many sign-in attempts") {
		t.Errorf("429 page: %s", resp.body)
	}
}

func TestMyMFANotEnrolledIsAudited(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		profile, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: "Portal", Challenges: [][]string{{models.MechSMS}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, models.SettingUserPortalProfile, profile.ID); err != nil {
			t.Fatal(err)
		}
		u := e.newUser(t, models.NewUser{})
		b := e.browser(t)
		b.signIn(u.LoginName, mfatest.Password)
		if resp := b.get("/my/mfa"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		if resp := b.get("/my/mfa"); resp.Header.Get("Location") != "/my/login" {
			t.Errorf("the sign-in went on: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		events, err := s.ListAudit(ctx, models.AuditQuery{Action: "my.sign_in"})
		if err != nil || events.Total != 1 || events.Events[0].Outcome != models.OutcomeFailure {
			t.Errorf("audit: %+v %v", events.Events, err)
		}
	})
}

func TestMyMFAExpires(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		profile, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: "Portal", Challenges: [][]string{{models.MechSecurityQuestion}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, models.SettingUserPortalProfile, profile.ID); err != nil {
			t.Fatal(err)
		}
		u := e.newUser(t, models.NewUser{})
		mfatest.EnrollUser(t, s, u.ID, models.MechSecurityQuestion)
		b := e.browser(t)
		b.signIn(u.LoginName, mfatest.Password)
		page := b.get("/my/mfa")
		e.clock.Advance(models.MFASessionTTL)
		form := url.Values{"step": {"0"}, "mechanism": {models.MechSecurityQuestion}, "answer": {mfatest.SecurityAnswer}}
		if resp := b.submit(page, "/my/mfa/answer", form); resp.Header.Get("Location") != "/my/login" {
			t.Fatalf("answer after the sign-in expired: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if b.get("/my").StatusCode != http.StatusSeeOther {
			t.Error("the expired sign-in opened the portal")
		}
	})
}
