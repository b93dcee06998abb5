package my_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/my"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
	views "github.com/portcullis-id/portcullis/views/my"
)

var ctx = context.Background()

type env struct {
	app   *fiber.App
	store *models.Store
	clock *mfatest.Clock
}

func newEnv(t *testing.T, s *models.Store) *env {
	t.Helper()
	clock := mfatest.NewClock()
	s.Now = clock.Now
	d := deps.Deps{
		Config: deps.Config{BaseURL: "http://localhost:8080", BodyLimit: 64 * 1024, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second},
		Store:  s,
		Log:    slog.New(slog.DiscardHandler),
	}
	return &env{app: handlers.New(d, my.Register), store: s, clock: clock}
}

// newUser creates a user with the fixture password and no factors.
func (e *env) newUser(t *testing.T, in models.NewUser) *models.User {
	t.Helper()
	if in.LoginName == "" {
		in.LoginName = modeltest.Name("user")
	}
	in.Password = mfatest.Password
	u, err := e.store.CreateUser(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

type browser struct {
	t       *testing.T
	e       *env
	cookies map[string]string
}

func (e *env) browser(t *testing.T) *browser {
	return &browser{t: t, e: e, cookies: map[string]string{}}
}

type response struct {
	*http.Response
	body string
	doc  *goquery.Document
}

func (b *browser) do(req *http.Request) *response {
	b.t.Helper()
	for name, value := range b.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	resp, err := b.e.app.Test(req, 10_000)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	return &response{Response: resp, body: string(body), doc: doc}
}

func (b *browser) get(path string) *response {
	b.t.Helper()
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *browser) post(path string, form url.Values) *response {
	b.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (r *response) csrf(t *testing.T) string {
	t.Helper()
	token, ok := r.doc.Find(`input[name="` + views.CSRFField + `"]`).First().Attr("value")
	if !ok {
		t.Fatalf("no CSRF field in the page (status %d): %s", r.StatusCode, r.body)
	}
	return token
}

func (r *response) testID(id string) string {
	return strings.TrimSpace(r.doc.Find(`[data-testid="` + id + `"]`).Text())
}

// submit posts form with the CSRF token of page.
func (b *browser) submit(page *response, path string, form url.Values) *response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set(views.CSRFField, page.csrf(b.t))
	return b.post(path, form)
}

// signIn signs in with the password and returns the page it lands on.
func (b *browser) signIn(loginName, password string) *response {
	b.t.Helper()
	return b.submit(b.get("/my/login"), "/my/login", url.Values{"login_name": {loginName}, "password": {password}})
}

func (b *browser) mustSignIn(u *models.User) *response {
	b.t.Helper()
	resp := b.signIn(u.LoginName, mfatest.Password)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/my" {
		b.t.Fatalf("sign-in: status %d location %q: %s", resp.StatusCode, resp.Header.Get("Location"), resp.body)
	}
	return b.get("/my")
}

var csrfValue = regexp.MustCompile(`name="` + views.CSRFField + `" value="[^"]*"`)

func TestMySignInIsEnumerationSafe(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		disabled := e.newUser(t, models.NewUser{})
		if err := s.SetUserDisabled(ctx, models.Actor{}, disabled.ID, true); err != nil {
			t.Fatal(err)
		}
		locked := e.newUser(t, models.NewUser{})
		if err := s.SetUserLocked(ctx, models.Actor{}, locked.ID, true); err != nil {
			t.Fatal(err)
		}
		service := e.newUser(t, models.NewUser{IsServiceUser: true})
		known := e.newUser(t, models.NewUser{})

		tests := []struct{ name, login, password string }{
			{"unknown user", "no-such-user-01@example.test", "x"},
			{"wrong password", known.LoginName, "wrong"},
			{"disabled user", disabled.LoginName, mfatest.Password},
			{"locked user", locked.LoginName, mfatest.Password},
			{"service user", service.LoginName, mfatest.Password},
		}
		var first string
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := e.browser(t)
				resp := b.signIn(tt.login, tt.password)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", resp.StatusCode)
				}
				page := csrfValue.ReplaceAllString(resp.body, "")
				page = strings.ReplaceAll(page, `value="`+tt.login+`"`, `value=""`)
				if first == "" {
					first = page
				} else if page != first {
					t.Errorf("page differs from the unknown-user page")
				}
				if b.get("/my").StatusCode != http.StatusSeeOther {
					t.Error("the failed sign-in opened the portal")
				}
			})
		}
	})
}

func TestMySignInRegeneratesSession(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		b := e.browser(t)
		b.cookies[my.CookieName] = "attacker-chosen-0001"
		login := b.get("/my/login")
		before := b.cookies[my.CookieName]
		if before == "attacker-chosen-0001" {
			t.Fatal("the client's session id was adopted")
		}
		b.submit(login, "/my/login", url.Values{"login_name": {u.LoginName}, "password": {mfatest.Password}})
		if b.cookies[my.CookieName] == before {
			t.Fatal("the session id did not change at sign-in")
		}
		old := e.browser(t)
		old.cookies[my.CookieName] = before
		if resp := old.get("/my"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("pre-sign-in session id: status %d, want a redirect to sign-in", resp.StatusCode)
		}

		dashboard := b.get("/my")
		if dashboard.StatusCode != http.StatusOK || !strings.Contains(dashboard.testID("my-user"), u.LoginName) {
			t.Fatalf("dashboard: status %d", dashboard.StatusCode)
		}
		b.submit(dashboard, "/my/logout", nil)
		if resp := b.get("/my"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after sign-out: status %d", resp.StatusCode)
		}
	})
}

func TestMyFormsNeedSessionCSRF(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		victim, other := e.browser(t), e.browser(t)
		dashboard := victim.mustSignIn(u)
		otherToken := other.get("/my/login").csrf(t)

		for _, tc := range []struct {
			name  string
			token string
		}{
			{"missing token", ""},
			{"token of another session", otherToken},
		} {
			t.Run(tc.name, func(t *testing.T) {
				form := url.Values{"question": {"Pet?"}, "answer": {"Fluffy"}}
				if tc.token != "" {
					form.Set(views.CSRFField, tc.token)
				}
				if resp := victim.post("/my/question", form); resp.StatusCode != http.StatusForbidden {
					t.Fatalf("status %d, want 403", resp.StatusCode)
				}
			})
		}
		if resp := victim.get("/my/logout"); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("sign-out by GET: status %d", resp.StatusCode)
		}
		if resp := victim.submit(dashboard, "/my/question", url.Values{"question": {"Pet?"}, "answer": {"Fluffy"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("valid form: status %d", resp.StatusCode)
		}
	})
}

func TestMyTOTPEnrollment(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		b := e.browser(t)
		b.mustSignIn(u)

		page := b.get("/my/totp")
		secret := page.testID("my-totp-secret")
		src, _ := page.doc.Find(`[data-testid="my-totp-qr"]`).Attr("src")
		if len(secret) != 32 || !strings.HasPrefix(src, "data:image/png;base64,") {
			t.Fatalf("secret %q, QR src %.40q", secret, src)
		}

		wrong := b.submit(page, "/my/totp", url.Values{"code": {"000000"}})
		if wrong.testID("my-error") == "" || wrong.testID("my-totp-secret") != secret {
			t.Fatalf("wrong code: status %d, secret kept %v", wrong.StatusCode, wrong.testID("my-totp-secret") == secret)
		}
		code, _ := models.TOTPCode(secret, e.clock.Now())
		if resp := b.submit(wrong, "/my/totp", url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("correct code: status %d: %s", resp.StatusCode, resp.body)
		}

		stored, _ := s.UserByID(ctx, u.ID)
		if !stored.HasTOTP() || strings.Contains(string(stored.TOTPSecretEnc), secret) {
			t.Fatal("the secret is missing or stored in clear")
		}
		if ok, _ := s.VerifyUserTOTP(ctx, stored, code); ok {
			t.Error("the confirmation code can be used again")
		}
		if got := b.get("/my").testID("my-factor-totp-status"); got != "Set up" {
			t.Errorf("dashboard status %q", got)
		}
	})
}

// hiddenFields returns the hidden fields of the first form matching
// selector.
func (r *response) hiddenFields(t *testing.T, selector string) url.Values {
	t.Helper()
	form := r.doc.Find(selector).First()
	if form.Length() == 0 {
		t.Fatalf("no form %s in the page (status %d): %s", selector, r.StatusCode, r.body)
	}
	values := url.Values{}
	form.Find("input[type=hidden]").Each(func(_ int, sel *goquery.Selection) {
		name, _ := sel.Attr("name")
		value, _ := sel.Attr("value")
		values.Set(name, value)
	})
	return values
}

// answerStepUp posts the answer on a fresh challenge page.
func (b *browser) answerStepUp(page *response, answer string) *response {
	b.t.Helper()
	form := page.hiddenFields(b.t, `[data-testid="mfa-challenge-form"]`)
	form.Set("answer", answer)
	return b.post("/my/verify/answer", form)
}

func TestMyPasswordIsNotFreshChallenge(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		mfatest.EnrollUser(t, s, u.ID, models.MechOATH)
		b := e.browser(t)
		dashboard := b.mustSignIn(u)

		for _, path := range []string{"/my/totp", "/my/question", "/my/email"} {
			if resp := b.get(path); resp.Header.Get("Location") != "/my/verify" {
				t.Errorf("GET %s right after a password sign-in: status %d location %q, want the fresh challenge", path, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if resp := b.submit(dashboard, "/my/question", url.Values{"question": {"Pet?"}, "answer": {"Fluffy"}}); resp.Header.Get("Location") != "/my/verify" {
			t.Errorf("adding a factor: status %d location %q, want the fresh challenge", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp := b.submit(dashboard, "/my/totp/remove", nil); resp.Header.Get("Location") != "/my/verify" {
			t.Errorf("removing a factor: status %d location %q, want the fresh challenge", resp.StatusCode, resp.Header.Get("Location"))
		}

		verify := b.get("/my/verify")
		if verify.StatusCode != http.StatusOK {
			t.Fatalf("fresh challenge page: status %d", verify.StatusCode)
		}
		if verify.doc.Find(`input[type="password"]`).Length() != 0 || verify.doc.Find(`[data-testid="mfa-choice-password"]`).Length() != 0 {
			t.Error("the fresh challenge offers the password")
		}
		form := verify.hiddenFields(t, `[data-testid="mfa-challenge-form"]`)
		form.Set("mechanism", models.MechPassword)
		form.Set("answer", mfatest.Password)
		b.post("/my/verify/answer", form)
		if resp := b.get("/my/totp"); resp.Header.Get("Location") != "/my/verify" {
			t.Fatalf("after posting the password to the fresh challenge: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		stored, _ := s.UserByID(ctx, u.ID)
		if !stored.HasTOTP() || stored.SecurityAnswerHash != "" {
			t.Fatal("a factor changed without a fresh second factor")
		}
	})
}

func TestMyFreshChallengeWithTOTP(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		mfatest.EnrollUser(t, s, u.ID, models.MechOATH, models.MechSecurityQuestion)
		b := e.browser(t)
		b.mustSignIn(u)

		if resp := b.get("/my/totp"); resp.Header.Get("Location") != "/my/verify" {
			t.Fatalf("GET /my/totp: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		choices := b.get("/my/verify")
		if choices.doc.Find(`[data-testid="mfa-choice-oath_otp"]`).Length() != 1 || choices.doc.Find(`[data-testid="mfa-choice-security_question"]`).Length() != 1 {
			t.Fatalf("the fresh challenge does not offer TOTP and the security question: %s", choices.body)
		}
		page := b.post("/my/verify/choose", choices.hiddenFields(t, `form:has([data-testid="mfa-choice-oath_otp"])`))
		wrong := b.answerStepUp(page, "000000")
		if wrong.StatusCode != http.StatusOK || wrong.testID("mfa-error") == "" {
			t.Fatalf("wrong code: status %d", wrong.StatusCode)
		}

		before := b.cookies[my.CookieName]
		code, _ := models.TOTPCode(mfatest.TOTPSecret, e.clock.Now())
		ok := b.answerStepUp(wrong, code)
		if ok.Header.Get("Location") != "/my/totp" {
			t.Fatalf("fresh challenge: status %d location %q, want /my/totp", ok.StatusCode, ok.Header.Get("Location"))
		}
		if b.cookies[my.CookieName] == before {
			t.Error("the session id did not change after the fresh challenge")
		}

		dashboard := b.get("/my")
		if resp := b.submit(dashboard, "/my/totp/remove", nil); resp.Header.Get("Location") != "/my" {
			t.Fatalf("remove: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if stored, _ := s.UserByID(ctx, u.ID); stored.HasTOTP() {
			t.Fatal("the factor was not removed")
		}

		e.clock.Advance(my.FreshChallengeWindow)
		if resp := b.get("/my/question"); resp.Header.Get("Location") != "/my/verify" {
			t.Errorf("after the window: status %d location %q, want the fresh challenge", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestMyFreshChallengeWithEmailCode(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		mfatest.EnrollUser(t, s, u.ID, models.MechEmail)
		b := e.browser(t)
		b.mustSignIn(u)

		b.get("/my/question")
		page := b.get("/my/verify")
		if got := page.testID("mfa-notice"); got != "We sent a code to j***@example.com." {
			t.Fatalf("notice %q: %s", got, page.body)
		}
		mails, err := s.OutboxMessagesTo(ctx, mfatest.Email)
		if err != nil || len(mails) != 1 {
			t.Fatalf("outbox has %d mails, want 1 (err %v)", len(mails), err)
		}
		code := regexp.MustCompile(`\b\d{6}\b`).FindString(mails[0].Body)
		if resp := b.answerStepUp(page, code); resp.Header.Get("Location") != "/my/question" {
			t.Fatalf("fresh challenge: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		form := b.get("/my/question")
		if resp := b.submit(form, "/my/question", url.Values{"question": {"First school?"}, "answer": {"Hill Street"}}); resp.Header.Get("Location") != "/my" {
			t.Fatalf("save: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		mails, _ = s.OutboxMessagesTo(ctx, mfatest.Email)
		if len(mails) != 2 {
			t.Fatalf("outbox has %d mails, want the code and the notice", len(mails))
		}
		for _, want := range []string{"security question", "added", u.LoginName} {
			if !strings.Contains(mails[1].Body, want) {
				t.Errorf("notice %q lacks %q", mails[1].Body, want)
			}
		}
		events, err := s.ListAudit(ctx, models.AuditQuery{Action: "my.set_security_question"})
		if err != nil || events.Total != 1 || !strings.Contains(events.Events[0].Details, "change: added") {
			t.Errorf("audit events %+v, err %v", events.Events, err)
		}
	})
}

func TestMyFirstFactorNeedsOnlyPassword(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{Email: "first.factor@example.org"})
		b := e.browser(t)
		b.mustSignIn(u)
		e.clock.Advance(my.FreshChallengeWindow + time.Second)

		form := b.get("/my/question")
		if form.StatusCode != http.StatusOK {
			t.Fatalf("first factor: status %d location %q", form.StatusCode, form.Header.Get("Location"))
		}
		if resp := b.submit(form, "/my/question", url.Values{"question": {"First school?"}, "answer": {"Hill Street"}}); resp.Header.Get("Location") != "/my" {
			t.Fatalf("save: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		notices, err := s.OutboxMessagesTo(ctx, "first.factor@example.org")
		if err != nil || len(notices) != 1 || !strings.Contains(notices[0].Body, "added") {
			t.Errorf("outbox notice for a user without a verified address: %+v, err %v", notices, err)
		}

		if resp := b.get("/my/totp"); resp.Header.Get("Location") != "/my/verify" {
			t.Errorf("second factor: status %d location %q, want the fresh challenge", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestMyFreshChallengeFailuresSignOut(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Settings.MFAMaxUserFailures = 20
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		mfatest.EnrollUser(t, s, u.ID, models.MechSecurityQuestion)
		b := e.browser(t)
		b.mustSignIn(u)

		page := b.get("/my/verify")
		for i := range s.Settings.MFAMaxSessionFailures {
			page = b.answerStepUp(page, "wrong answer")
			if i < s.Settings.MFAMaxSessionFailures-1 && page.StatusCode != http.StatusOK {
				t.Fatalf("wrong answer %d: status %d", i+1, page.StatusCode)
			}
		}
		if page.StatusCode != http.StatusForbidden || page.doc.Find(`[data-testid="my-login-form"]`).Length() != 1 {
			t.Fatalf("after %d wrong answers: status %d, want the sign-in page", s.Settings.MFAMaxSessionFailures, page.StatusCode)
		}
		if resp := b.get("/my"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("/my after the failed fresh challenge: status %d, want a redirect to sign in", resp.StatusCode)
		}
	})
}

func TestMyEmailEnrollment(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		b := e.browser(t)
		b.mustSignIn(u)

		form := b.get("/my/email")
		if resp := b.submit(form, "/my/email", url.Values{"value": {"not an address"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("invalid address: status %d", resp.StatusCode)
		}
		confirm := b.submit(form, "/my/email", url.Values{"value": {"new.address@example.org"}})
		if got := confirm.testID("my-contact-destination"); got != "n***@example.org" {
			t.Fatalf("destination %q: %s", got, confirm.body)
		}
		mails, err := s.OutboxMessagesTo(ctx, "new.address@example.org")
		if err != nil || len(mails) != 1 {
			t.Fatalf("outbox: %d mails, err %v", len(mails), err)
		}
		code := regexp.MustCompile(`\b\d{6}\b`).FindString(mails[0].Body)

		wrong := b.submit(confirm, "/my/email/confirm", url.Values{"code": {"000000"}})
		if wrong.testID("my-error") == "" {
			t.Fatal("wrong code accepted")
		}
		if resp := b.submit(wrong, "/my/email/confirm", url.Values{"code": {code}}); resp.Header.Get("Location") != "/my" {
			t.Fatalf("confirm: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		stored, _ := s.UserByID(ctx, u.ID)
		if stored.Email != "new.address@example.org" || !stored.EmailVerified {
			t.Fatalf("email %q verified %v", stored.Email, stored.EmailVerified)
		}
	})
}

func TestMySecurityQuestion(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		u := e.newUser(t, models.NewUser{})
		b := e.browser(t)
		b.mustSignIn(u)
		page := b.get("/my/question")
		if resp := b.submit(page, "/my/question", url.Values{"question": {""}, "answer": {"x"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("empty question: status %d", resp.StatusCode)
		}
		if resp := b.submit(page, "/my/question", url.Values{"question": {"First school?"}, "answer": {"  Hill  Street "}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: status %d", resp.StatusCode)
		}
		stored, _ := s.UserByID(ctx, u.ID)
		if !s.VerifySecurityAnswer(stored, "hill street") || strings.Contains(stored.SecurityAnswerHash, "Hill") {
			t.Fatal("the answer does not verify after normalising, or is stored in clear")
		}
	})
}

func TestMyPortalProfileChallenges(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s)
		profile, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: "Portal", Challenges: [][]string{{models.MechOATH}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSetting(ctx, models.SettingUserPortalProfile, profile.ID); err != nil {
			t.Fatal(err)
		}
		u := e.newUser(t, models.NewUser{})
		mfatest.EnrollUser(t, s, u.ID, models.MechOATH)

		b := e.browser(t)
		resp := b.signIn(u.LoginName, mfatest.Password)
		if resp.Header.Get("Location") != "/my/mfa" {
			t.Fatalf("password step: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if b.get("/my").StatusCode != http.StatusSeeOther {
			t.Fatal("the portal opened before the challenge passed")
		}
		challenge := b.get("/my/mfa")
		form := url.Values{}
		challenge.doc.Find(`[data-testid="mfa-challenge-form"] input[type=hidden]`).Each(func(_ int, sel *goquery.Selection) {
			name, _ := sel.Attr("name")
			value, _ := sel.Attr("value")
			form.Set(name, value)
		})
		code, _ := models.TOTPCode(mfatest.TOTPSecret, e.clock.Now())
		form.Set("answer", code)
		if resp := b.post("/my/mfa/answer", form); resp.Header.Get("Location") != "/my" {
			t.Fatalf("TOTP step: status %d location %q: %s", resp.StatusCode, resp.Header.Get("Location"), resp.body)
		}
		if b.get("/my").StatusCode != http.StatusOK {
			t.Fatal("the portal did not open after the challenge")
		}
		if resp := b.get("/my/question"); resp.StatusCode != http.StatusOK {
			t.Errorf("a sign-in with TOTP counts as a fresh challenge: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}

		t.Run("wrong answers end the sign-in", func(t *testing.T) {
			b := e.browser(t)
			b.signIn(u.LoginName, mfatest.Password)
			page := b.get("/my/mfa")
			var last *response
			for range s.Settings.MFAMaxSessionFailures {
				form := url.Values{}
				page.doc.Find(`[data-testid="mfa-challenge-form"] input[type=hidden]`).Each(func(_ int, sel *goquery.Selection) {
					name, _ := sel.Attr("name")
					value, _ := sel.Attr("value")
					form.Set(name, value)
				})
				form.Set("answer", "000000")
				last = b.post("/my/mfa/answer", form)
				page = last
			}
			if last.StatusCode != http.StatusForbidden || last.doc.Find(`[data-testid="my-login-form"]`).Length() != 1 {
				t.Fatalf("after %d wrong answers: status %d", s.Settings.MFAMaxSessionFailures, last.StatusCode)
			}
		})
	})
}
