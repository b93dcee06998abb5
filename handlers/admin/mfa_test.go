package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/portcullis-id/portcullis/handlers/admin"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// mfaEnv is a server whose admin portal asks for the challenges, with the
// store on a settable clock.
type mfaEnv struct {
	*env
	clock *mfatest.Clock
	root  *models.User
}

func newMFAEnv(t *testing.T, s *models.Store, challenges [][]string) *mfaEnv {
	t.Helper()
	clock := mfatest.NewClock()
	s.Now = clock.Now
	e := &mfaEnv{env: newEnvWithStore(t, s), clock: clock}
	ctx := context.Background()
	profile, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: modeltest.Name("admin-mfa"), Challenges: challenges})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, models.SettingAdminPortalProfile, profile.ID); err != nil {
		t.Fatal(err)
	}
	e.root, err = s.UserByLoginName(ctx, models.BootstrapAdminName)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// signInPassword passes the password step, which must lead to /admin/mfa.
func (c *client) signInPassword(loginName, password string) {
	c.e.t.Helper()
	c.get("/admin/login")
	r := c.post("/admin/login", url.Values{"login_name": {loginName}, "password": {password}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/mfa" {
		c.e.t.Fatalf("password step: status %d, location %q, body %s", r.status, r.header.Get("Location"), r.body)
	}
}

// answerChallenge posts the answer form of page, keeping its hidden fields.
func (c *client) answerChallenge(page *response, answer string) *response {
	c.e.t.Helper()
	form := url.Values{}
	page.find("mfa-challenge-form").Find(`input[type=hidden]`).Each(func(_ int, sel *goquery.Selection) {
		name, _ := sel.Attr("name")
		value, _ := sel.Attr("value")
		form.Set(name, value)
	})
	if form.Get("mechanism") == "" {
		c.e.t.Fatalf("no answer form in the page (status %d): %s", page.status, page.body)
	}
	form.Set("answer", answer)
	return c.post("/admin/mfa/answer", form)
}

func totpCode(t *testing.T, clock *mfatest.Clock) string {
	t.Helper()
	code, err := models.TOTPCode(mfatest.TOTPSecret, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestAdminMFASignIn(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newMFAEnv(t, s, [][]string{{models.MechOATH}, {models.MechSecurityQuestion}})
		mfatest.EnrollUser(t, s, e.root.ID, models.MechOATH, models.MechSecurityQuestion)
		c := e.client()
		c.get("/admin/login")
		beforePassword := c.cookies[admin.SessionCookieName]
		c.signInPassword(models.BootstrapAdminName, adminPassword)
		afterPassword := c.cookies[admin.SessionCookieName]
		if afterPassword == "" || afterPassword == beforePassword {
			t.Fatal("the session id did not change when the password passed")
		}

		t.Run("no portal right before the challenges pass", func(t *testing.T) {
			if r := c.get("/admin/users"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login" {
				t.Errorf("GET /admin/users: %d %q", r.status, r.header.Get("Location"))
			}
			if r := c.apiWith("GET", "/api/admin/session", nil, nil); r.status != http.StatusUnauthorized {
				t.Errorf("GET /api/admin/session: %d, want 401", r.status)
			}
		})

		page := c.get("/admin/mfa")
		if got, _ := page.find("mfa-challenge-form").Attr("data-mechanism"); got != models.MechOATH {
			t.Fatalf("first challenge asks for %q: %s", got, page.body)
		}
		t.Run("second challenge posted first is refused", func(t *testing.T) {
			form := url.Values{"step": {"1"}, "mechanism": {models.MechSecurityQuestion}, "answer": {mfatest.SecurityAnswer}}
			if r := c.post("/admin/mfa/answer", form); r.header.Get("Location") != "/admin/mfa" {
				t.Errorf("status %d location %q, want back to /admin/mfa", r.status, r.header.Get("Location"))
			}
			if r := c.get("/admin/users"); r.status != http.StatusSeeOther {
				t.Errorf("portal opened after a skipped challenge: %d", r.status)
			}
		})
		wrong := c.answerChallenge(c.get("/admin/mfa"), "000000")
		if got := wrong.find("mfa-error").Text(); got != "That answer is not correct. Try again." {
			t.Fatalf("wrong code: status %d, error %q", wrong.status, got)
		}

		r := c.answerChallenge(wrong, totpCode(t, e.clock))
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/mfa" {
			t.Fatalf("right code: %d %q %s", r.status, r.header.Get("Location"), r.body)
		}
		afterFirst := c.cookies[admin.SessionCookieName]
		if afterFirst == afterPassword {
			t.Error("the session id did not change when the first challenge passed")
		}
		question := c.get("/admin/mfa")
		if got := question.find("mfa-question").Text(); got != mfatest.SecurityQuestion {
			t.Fatalf("second challenge shows %q", got)
		}
		r = c.answerChallenge(question, mfatest.SecurityAnswer)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
			t.Fatalf("second answer: %d %q %s", r.status, r.header.Get("Location"), r.body)
		}
		if c.cookies[admin.SessionCookieName] == afterFirst {
			t.Error("the session id did not change when the MFA completed")
		}
		if r := c.get("/admin/users"); r.status != http.StatusOK {
			t.Fatalf("portal after the MFA: %d", r.status)
		}

		for _, old := range []string{afterPassword, afterFirst} {
			replay := e.client()
			replay.cookies[admin.SessionCookieName] = old
			if r := replay.get("/admin/users"); r.status != http.StatusSeeOther {
				t.Errorf("a session id from before the MFA completed opens the portal: %d", r.status)
			}
		}
		page2, err := s.ListAudit(context.Background(), models.AuditQuery{Action: "admin.sign_in"})
		if err != nil || page2.Total != 1 || page2.Events[0].Details != "amr: password oath_otp security_question" {
			t.Errorf("sign-in audit events: %+v %v", page2.Events, err)
		}
	})
}

func TestAdminMFAWrongAnswers(t *testing.T) {
	tests := []struct {
		name string
		// maxUser is Settings.MFAMaxUserFailures; the session allows 5.
		maxUser    int
		wantLocked bool
	}{
		{"sign-in limit ends the sign-in", 10, false},
		{"user limit locks the user", 3, true},
	}
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newMFAEnv(t, s, [][]string{{models.MechOATH}})
				s.Settings.MFAMaxUserFailures = tt.maxUser
				u := e.createUser(models.NewUser{LoginName: modeltest.Name("mfa-admin"), Password: "password-0001"})
				e.addToSysAdmin(u.ID)
				mfatest.EnrollUser(t, s, u.ID, models.MechOATH)

				c := e.client()
				c.signInPassword(u.LoginName, "password-0001")
				page := c.get("/admin/mfa")
				tries := min(tt.maxUser, s.Settings.MFAMaxSessionFailures)
				for i := 1; i < tries; i++ {
					page = c.answerChallenge(page, "000000")
					if page.status != http.StatusOK {
						t.Fatalf("wrong answer %d: status %d", i, page.status)
					}
				}
				last := c.answerChallenge(page, "000000")
				if last.status != http.StatusForbidden || !strings.Contains(last.find("login-error").Text(), "Too many wrong answers") {
					t.Fatalf("last wrong answer: status %d, error %q", last.status, last.find("login-error").Text())
				}
				if r := c.answerChallenge(page, totpCode(t, e.clock)); r.header.Get("Location") != "/admin/login" {
					t.Errorf("right code after the sign-in ended: %d %q", r.status, r.header.Get("Location"))
				}
				if r := c.get("/admin/users"); r.status != http.StatusSeeOther {
					t.Errorf("portal opened: %d", r.status)
				}
				locked := e.user(u.ID).IsLockedAt(e.clock.Now())
				if locked != tt.wantLocked {
					t.Errorf("user locked %v, want %v", locked, tt.wantLocked)
				}
			})
		}
	})
}

func TestAdminMFANotEnrolled(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newMFAEnv(t, s, [][]string{{models.MechOATH}, {models.MechSMS, models.MechEmail}})
		mfatest.EnrollUser(t, s, e.root.ID, models.MechOATH)
		c := e.client()
		c.signInPassword(models.BootstrapAdminName, adminPassword)
		c.answerChallenge(c.get("/admin/mfa"), totpCode(t, e.clock))

		r := c.get("/admin/mfa")
		if r.status != http.StatusForbidden || r.find("mfa-not-enrolled").Length() != 1 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		if got := r.find("mfa-allowed").Text(); !strings.Contains(got, "SMS code") || !strings.Contains(got, "Email code") {
			t.Errorf("allowed methods %q", got)
		}
		if r := c.get("/admin/mfa"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login" {
			t.Errorf("the sign-in went on after the page: %d %q", r.status, r.header.Get("Location"))
		}
		if r := c.get("/admin/users"); r.status != http.StatusSeeOther {
			t.Errorf("portal opened: %d", r.status)
		}
		events, err := s.ListAudit(context.Background(), models.AuditQuery{Action: "admin.sign_in"})
		if err != nil || events.Total != 1 || !strings.Contains(events.Events[0].Details, "mfa_not_enrolled") || events.Events[0].Outcome != models.OutcomeFailure {
			t.Errorf("audit: %+v %v", events.Events, err)
		}
	})
}

func TestAdminMFAExpires(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newMFAEnv(t, s, [][]string{{models.MechOATH}})
		mfatest.EnrollUser(t, s, e.root.ID, models.MechOATH)
		c := e.client()
		c.signInPassword(models.BootstrapAdminName, adminPassword)
		page := c.get("/admin/mfa")
		e.clock.Advance(models.MFASessionTTL)
		if r := c.answerChallenge(page, totpCode(t, e.clock)); r.header.Get("Location") != "/admin/login" {
			t.Fatalf("answer after the sign-in expired: %d %q", r.status, r.header.Get("Location"))
		}
		if got := c.get("/admin/login").find("login-notice").Text(); !strings.Contains(got, "took too long") {
			t.Errorf("notice %q", got)
		}
		if r := c.get("/admin/users"); r.status != http.StatusSeeOther {
			t.Errorf("portal opened: %d", r.status)
		}
	})
}

func TestAdminMFAThenPasswordChange(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newMFAEnv(t, s, [][]string{{models.MechSecurityQuestion}})
		u := e.createUser(models.NewUser{LoginName: modeltest.Name("fresh"), Password: "password-0001", RequirePasswordChange: true})
		e.addToSysAdmin(u.ID)
		mfatest.EnrollUser(t, s, u.ID, models.MechSecurityQuestion)
		c := e.client()
		c.signInPassword(u.LoginName, "password-0001")
		if r := c.get("/admin/password"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/login" {
			t.Errorf("password change before the MFA: %d %q", r.status, r.header.Get("Location"))
		}
		r := c.answerChallenge(c.get("/admin/mfa"), mfatest.SecurityAnswer)
		if r.header.Get("Location") != "/admin/password" {
			t.Fatalf("after the MFA: %d %q", r.status, r.header.Get("Location"))
		}
	})
}
