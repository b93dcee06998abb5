package run_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
	"github.com/portcullis-id/portcullis/models/notify"
	runviews "github.com/portcullis-id/portcullis/views/run"
)

var ctx = context.Background()

var totpOnly = mfatest.Options{Challenges: [][]string{{models.MechOATH}}, FailureURLs: "https://app-a.example/failed"}

func TestRunTOTPLaunchesWithAssertion(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		b := e.browser(t)
		page := b.start("")
		if got := page.testID("app-name"); got != "App A" {
			t.Errorf("app name %q", got)
		}
		if page.doc.Find(`[data-testid="mfa-code-input"]`).Length() != 1 {
			t.Fatalf("no code input: %s", page.body)
		}

		resp := b.answer(page, e.f.TOTPCode(t))
		claims := assertionOf(t, e, resp)
		if !strings.HasPrefix(resp.Header.Get("Location"), mfatest.LaunchURL+"?assertion=") {
			t.Errorf("launch location %q", resp.Header.Get("Location"))
		}
		aud, _ := claims.GetAudience()
		checks := []struct {
			name      string
			got, want any
		}{
			{"aud", strings.Join(aud, " "), e.f.App.AppKey},
			{"sub", claims["sub"], e.f.User.ID},
			{"unique_name", claims["unique_name"], e.f.User.LoginName},
			{"iss", claims["iss"], baseURL + "/"},
			{"amr", claims["amr"], []any{"otp"}},
			{"lifetime", claims["exp"].(float64) - claims["iat"].(float64), run.AssertionTTL.Seconds()},
		}
		for _, c := range checks {
			if !equal(c.got, c.want) {
				t.Errorf("claim %s = %v, want %v", c.name, c.got, c.want)
			}
		}
		if claims["jti"] == "" || claims["auth_time"] == nil {
			t.Errorf("jti or auth_time missing: %v", claims)
		}

		again := b.get("/run/challenge")
		if again.StatusCode != http.StatusUnauthorized {
			t.Errorf("challenge page after launch: status %d, want 401", again.StatusCode)
		}
	})
}

func equal(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestRunFormPostLaunch(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		opts := totpOnly
		opts.LaunchMethod = models.LaunchFormPost
		e := newEnv(t, s, opts, nil)
		b := e.browser(t)
		resp := b.answer(b.start(""), e.f.TOTPCode(t))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.body)
		}
		form := resp.doc.Find(`form[data-testid="launch-form"]`)
		action, _ := form.Attr("action")
		_, autosubmit := form.Attr("data-autosubmit")
		assertion, _ := form.Find(`input[name="assertion"]`).Attr("value")
		if action != mfatest.LaunchURL || !autosubmit || assertion == "" {
			t.Fatalf("launch form action %q autosubmit %v assertion %d bytes", action, autosubmit, len(assertion))
		}
		if resp.doc.Find(`[data-testid="launch-continue"]`).Length() != 1 {
			t.Error("no Continue button for browsers without JavaScript")
		}
		if strings.Contains(resp.body, "<script>") {
			t.Error("the launch page has an inline script")
		}
		if resp.doc.Find(`script[src="/static/js/app.js"][defer]`).Length() != 1 {
			t.Error("the launch page does not load /static/js/app.js, which submits the form")
		}
	})
}

func TestRunNoProfileFailsClosed(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, mfatest.Options{}, nil)
		token := e.f.MintToken(t)
		resp := e.browser(t).get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+token)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403: %s", resp.StatusCode, resp.body)
		}
		if got := resp.testID("error-message"); !strings.Contains(got, "no authentication policy") || !strings.Contains(got, "Policy page") {
			t.Errorf("message %q does not say the app needs a policy on its Policy page", got)
		}
		if strings.Contains(resp.Header.Get("Location"), "assertion=") {
			t.Fatal("an app without a profile launched")
		}

		t.Run("failure URL gets no_policy", func(t *testing.T) {
			resp := e.browser(t).get("/run?appkey="+e.f.App.AppKey+"&failureRedirectUrl=%2Ffailed", "Authorization", "Bearer "+e.f.MintToken(t))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/failed?error=no_policy" {
				t.Fatalf("status %d location %q, want /failed?error=no_policy", resp.StatusCode, resp.Header.Get("Location"))
			}
		})

		t.Run("profile without challenges launches at once", func(t *testing.T) {
			empty, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: "No challenges"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetAppAuthProfile(ctx, e.f.App.ID, empty.ID); err != nil {
				t.Fatal(err)
			}
			// The token rejected above was not used up.
			resp := e.browser(t).get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+token)
			claims := assertionOf(t, e, resp)
			if amr, _ := claims["amr"].([]any); len(amr) != 0 {
				t.Errorf("amr %v, want empty", amr)
			}
		})
	})
}

func TestRunProfileRemovedMidSession(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		b := e.browser(t)
		page := b.start("&failureRedirectUrl=%2Ffailed")
		if _, err := s.SetAppAuthProfile(ctx, e.f.App.ID, ""); err != nil {
			t.Fatal(err)
		}
		resp := b.answer(page, e.f.TOTPCode(t))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/failed?error=no_policy" {
			t.Fatalf("status %d location %q, want /failed?error=no_policy", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestRunAcceptsFormPostedToken(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		b := e.browser(t)
		resp := b.post("/run?appkey="+e.f.App.AppKey, url.Values{"icbt": {e.f.MintToken(t)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/run/challenge" {
			t.Fatalf("status %d location %q: %s", resp.StatusCode, resp.Header.Get("Location"), resp.body)
		}

		t.Run("token in both header and form", func(t *testing.T) {
			r := e.browser(t)
			form := url.Values{"icbt": {e.f.MintToken(t)}}
			httpReq := newPost("/run?appkey="+e.f.App.AppKey, form)
			httpReq.Header.Set("Authorization", "Bearer "+e.f.MintToken(t))
			if got := r.do(httpReq); got.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", got.StatusCode)
			}
		})
		t.Run("token in the query string is ignored", func(t *testing.T) {
			r := e.browser(t)
			if got := r.get("/run?appkey=" + e.f.App.AppKey + "&icbt=" + e.f.MintToken(t)); got.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", got.StatusCode)
			}
		})
	})
}

func TestRunAcceptsMultipartToken(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		var body bytes.Buffer
		writer := multipart.NewWriter(&body)
		if err := writer.WriteField("icbt", e.f.MintToken(t)); err != nil {
			t.Fatal(err)
		}
		writer.Close()
		req := httptest.NewRequest(http.MethodPost, "/run?appkey="+e.f.App.AppKey, &body)
		req.Header.Set("Content-Type", writer.FormDataContentType())
		resp := e.browser(t).do(req)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303: %s", resp.StatusCode, resp.body)
		}
		if loc := resp.Header.Get("Location"); loc != "/run/challenge" {
			t.Errorf("location %q, want /run/challenge", loc)
		}

		t.Run("malformed multipart body", func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/run?appkey="+e.f.App.AppKey, strings.NewReader("--x\r\nnot a part"))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			resp := e.browser(t).do(req)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			if got := resp.testID("error-message"); !strings.Contains(got, "multipart/form-data") {
				t.Errorf("message %q does not name the accepted body types", got)
			}
		})
	})
}

func TestRunHeadKeepsToken(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		token := e.f.MintToken(t)
		head := httptest.NewRequest(http.MethodHead, "/run?appkey="+e.f.App.AppKey, nil)
		head.Header.Set("Authorization", "Bearer "+token)
		resp := e.browser(t).do(head)
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("HEAD status %d, want 405", resp.StatusCode)
		}
		if got := resp.Header.Get("Allow"); got != "GET, POST" {
			t.Errorf("Allow %q, want GET, POST", got)
		}
		if cookie := resp.Header.Get("Set-Cookie"); cookie != "" {
			t.Errorf("HEAD set a cookie: %q", cookie)
		}

		get := e.browser(t).get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+token)
		if get.StatusCode != http.StatusSeeOther || get.Header.Get("Location") != "/run/challenge" {
			t.Fatalf("GET after HEAD: status %d location %q, want the token still unused", get.StatusCode, get.Header.Get("Location"))
		}
	})
}

func TestRunSessionCookie(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		b := e.browser(t)
		resp := b.get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+e.f.MintToken(t))
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == run.CookieName {
				cookie = c
			}
		}
		if cookie == nil {
			t.Fatalf("no %s cookie", run.CookieName)
		}
		if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
			t.Errorf("cookie HttpOnly %v SameSite %v Secure %v, want true, Lax, false over http", cookie.HttpOnly, cookie.SameSite, cookie.Secure)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "icbt" {
				t.Error("/run set an icbt cookie")
			}
		}

		t.Run("a fresh icbt starts a fresh session", func(t *testing.T) {
			first := b.cookies[run.CookieName]
			b.get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+e.f.MintToken(t))
			if b.cookies[run.CookieName] == first {
				t.Fatal("the session id was kept across /run")
			}
			old := e.browser(t)
			old.cookies[run.CookieName] = first
			if got := old.get("/run/challenge"); got.StatusCode != http.StatusUnauthorized {
				t.Fatalf("old session cookie: status %d, want 401", got.StatusCode)
			}
		})
		t.Run("a cookie chosen by the client is not adopted", func(t *testing.T) {
			attacker := e.browser(t)
			attacker.cookies[run.CookieName] = "attacker-chosen-0001"
			attacker.get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+e.f.MintToken(t))
			if attacker.cookies[run.CookieName] == "attacker-chosen-0001" {
				t.Fatal("the client's session id was kept")
			}
		})
	})
}

func TestRunRejectsBadTokens(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		used := e.f.MintToken(t)
		e.browser(t).get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+used)
		expired := e.f.MintToken(t)
		e.f.Clock.Advance(models.UserTokenTTL + time.Minute)

		tests := []struct {
			name, authorization string
		}{
			{"no token", ""},
			{"random token", "Bearer not-a-valid-icbt"},
			{"alg none", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyLTAxIn0."},
			{"alg NONE", "Bearer eyJhbGciOiJOT05FIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyLTAxIn0."},
			{"alg none with signature", "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyLTAxIn0.c2lnbmF0dXJl"},
			{"basic scheme", "Basic " + used},
			{"used token", "Bearer " + used},
			{"expired token", "Bearer " + expired},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := e.browser(t)
				resp := b.get("/run?appkey="+e.f.App.AppKey, "Authorization", tt.authorization)
				if resp.StatusCode != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", resp.StatusCode)
				}
				if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
				if resp.doc.Find(`[data-testid="error-page"]`).Length() != 1 {
					t.Errorf("not the readable error page: %s", resp.body)
				}
				if len(b.cookies) != 0 {
					t.Errorf("cookies set: %v", b.cookies)
				}
				if strings.Contains(resp.body, "goroutine") || strings.Contains(resp.body, ".go:") {
					t.Errorf("body leaks internals: %s", resp.body)
				}
			})
		}

		t.Run("expired token goes to an allowed failure URL", func(t *testing.T) {
			token := e.f.MintToken(t)
			e.f.Clock.Advance(models.UserTokenTTL + time.Minute)
			resp := e.browser(t).get("/run?appkey="+e.f.App.AppKey+"&failureRedirectUrl=%2Ffailed", "Authorization", "Bearer "+token)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/failed?error=expired" {
				t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	})
}

func TestRunUnknownAppKey(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		oauth, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "API", ApplicationID: "api-" + strings.ToLower(e.f.App.ID[:8])})
		if err != nil {
			t.Fatal(err)
		}
		disabled := mfatest.NewApp(t, s, mfatest.Options{})
		off := false
		if _, err := s.UpdateAppSettings(ctx, disabled.ID, models.AppSettings{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, appKey string }{
			{"missing", ""},
			{"not a UUID", "x' OR '1'='1"},
			{"unknown UUID", "7d8f2c44-0000-4000-8000-000000000000"},
			{"OAuth client", oauth.AppKey},
			{"disabled app", disabled.AppKey},
		} {
			t.Run(tc.name, func(t *testing.T) {
				token := e.f.MintToken(t)
				resp := e.browser(t).get("/run?appkey="+url.QueryEscape(tc.appKey), "Authorization", "Bearer "+token)
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("status %d, want 404", resp.StatusCode)
				}
				if _, _, err := s.StartMFASession(ctx, models.MFAStart{Token: token, App: e.f.App}); err != nil {
					t.Errorf("the rejected request spent the token: %v", err)
				}
			})
		}
	})
}

func TestRunChallengeOrderCannotBeSkipped(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}, {models.MechSecurityQuestion}}}, nil)
		b := e.browser(t)
		first := b.start("")
		csrf := first.formValues(t, `[data-testid="mfa-challenge-form"]`).Get(runviews.CSRFField)

		attempts := []struct {
			name string
			path string
			form url.Values
		}{
			{"later step posted directly", "/run/answer", url.Values{"step": {"1"}, "mechanism": {models.MechSecurityQuestion}, "answer": {mfatest.SecurityAnswer}}},
			{"step field tampered", "/run/answer", url.Values{"step": {"3"}, "mechanism": {models.MechOATH}, "answer": {mfatest.SecurityAnswer}}},
			{"mechanism field tampered", "/run/answer", url.Values{"step": {"0"}, "mechanism": {models.MechSecurityQuestion}, "answer": {mfatest.SecurityAnswer}}},
			{"step in the query", "/run/answer?step=1&mechanism=security_question", url.Values{"answer": {mfatest.SecurityAnswer}}},
			{"later mechanism chosen", "/run/choose", url.Values{"step": {"1"}, "mechanism": {models.MechSecurityQuestion}}},
		}
		for _, a := range attempts {
			t.Run(a.name, func(t *testing.T) {
				a.form.Set(runviews.CSRFField, csrf)
				resp := b.post(a.path, a.form)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/run/challenge" {
					t.Fatalf("status %d location %q, want the current challenge again", resp.StatusCode, resp.Header.Get("Location"))
				}
				page := b.get("/run/challenge")
				if mech, _ := page.doc.Find(`[data-testid="mfa-challenge-form"]`).Attr("data-mechanism"); mech != models.MechOATH {
					t.Fatalf("current challenge is %q, want the TOTP one", mech)
				}
			})
		}

		second := b.answer(first, e.f.TOTPCode(t))
		if second.StatusCode != http.StatusSeeOther || second.Header.Get("Location") != "/run/challenge" {
			t.Fatalf("after TOTP: status %d location %q", second.StatusCode, second.Header.Get("Location"))
		}
		t.Run("back and resubmit does not skip", func(t *testing.T) {
			e.f.Clock.Advance(30 * time.Second)
			resp := b.answer(first, e.f.TOTPCode(t))
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/run/challenge" {
				t.Fatalf("resubmitted first step: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})

		page := b.get("/run/challenge")
		if got := page.testID("mfa-question"); got != mfatest.SecurityQuestion {
			t.Fatalf("second challenge question %q", got)
		}
		if got := page.testID("mfa-step"); got != "Step 2 of 2" {
			t.Errorf("step label %q", got)
		}
		claims := assertionOf(t, e, b.answer(page, "rex the dog"))
		if amr, _ := claims["amr"].([]any); !slices.Equal(amr, []any{"otp", "kba", "mfa"}) {
			t.Errorf("amr %v", amr)
		}
	})
}

func TestRunCSRFIsBoundToSession(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		victim, other := e.browser(t), e.browser(t)
		page := victim.start("")
		otherForm := other.start("").formValues(t, `[data-testid="mfa-challenge-form"]`)

		for _, tc := range []struct {
			name string
			csrf string
		}{
			{"missing token", ""},
			{"token of another session", otherForm.Get(runviews.CSRFField)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				form := page.formValues(t, `[data-testid="mfa-challenge-form"]`)
				form.Set(runviews.CSRFField, tc.csrf)
				form.Set("answer", e.f.TOTPCode(t))
				if resp := victim.post("/run/answer", form); resp.StatusCode != http.StatusForbidden {
					t.Fatalf("status %d, want 403", resp.StatusCode)
				}
			})
		}
		if resp := victim.answer(page, e.f.TOTPCode(t)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("valid form after the rejected ones: status %d", resp.StatusCode)
		}
	})
}

func TestRunWrongAnswersFailTheSession(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Settings.MFAMaxUserFailures = 7
		e := newEnv(t, s, totpOnly, nil)
		b := e.browser(t)
		page := b.start("&failureRedirectUrl=%2Ffailed")

		var messages []string
		for i := 1; i < s.Settings.MFAMaxSessionFailures; i++ {
			page = b.answer(page, "00000"+string(rune('0'+i)))
			if page.StatusCode != http.StatusOK {
				t.Fatalf("wrong answer %d: status %d", i, page.StatusCode)
			}
			messages = append(messages, page.testID("mfa-error"))
		}
		for _, m := range messages {
			if m != messages[0] || m == "" {
				t.Fatalf("wrong-answer messages differ: %q", messages)
			}
		}
		if got := page.testID("mfa-tries-left"); got != "1 try left." {
			t.Errorf("tries left %q", got)
		}

		last := b.answer(page, "000009")
		if last.StatusCode != http.StatusSeeOther || last.Header.Get("Location") != "/failed?error=mfa_failed" {
			t.Fatalf("fifth wrong answer: status %d location %q", last.StatusCode, last.Header.Get("Location"))
		}
		if resp := b.answer(page, e.f.TOTPCode(t)); resp.StatusCode == http.StatusSeeOther && strings.Contains(resp.Header.Get("Location"), "assertion=") {
			t.Fatal("the correct code launched the app after the limit")
		}

		t.Run("the count survives a new icbt", func(t *testing.T) {
			b := e.browser(t)
			page := b.start("&failureRedirectUrl=%2Ffailed")
			if got := page.testID("mfa-tries-left"); got != "2 tries left." {
				t.Errorf("tries left in a new session %q, want 2", got)
			}
			page = b.answer(page, "000000")
			resp := b.answer(page, "000000")
			if resp.Header.Get("Location") != "/failed?error=locked" {
				t.Fatalf("user limit: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			again := e.browser(t).get("/run?appkey="+e.f.App.AppKey+"&failureRedirectUrl=%2Ffailed", "Authorization", "Bearer "+e.f.MintToken(t))
			if again.Header.Get("Location") != "/failed?error=locked" {
				t.Fatalf("locked user with a new icbt: status %d location %q", again.StatusCode, again.Header.Get("Location"))
			}
		})

		if !strings.Contains(e.logs.String(), `"mfa answer rejected"`) {
			t.Error("wrong answers are not logged")
		}
	})
}

func TestRunTOTPReplayIsRejected(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		code := e.f.TOTPCode(t)
		first, second := e.browser(t), e.browser(t)
		firstPage, secondPage := first.start(""), second.start("")
		assertionOf(t, e, first.answer(firstPage, code))

		resp := second.answer(secondPage, code)
		wrong := second.answer(resp, "999999")
		if resp.StatusCode != http.StatusOK || resp.testID("mfa-error") != wrong.testID("mfa-error") {
			t.Fatalf("replayed code: status %d message %q, want the wrong-code message %q", resp.StatusCode, resp.testID("mfa-error"), wrong.testID("mfa-error"))
		}

		t.Run("concurrent submissions have one winner", func(t *testing.T) {
			e.f.Clock.Advance(30 * time.Second)
			code := e.f.TOTPCode(t)
			browsers := []*browser{e.browser(t), e.browser(t), e.browser(t)}
			pages := make([]*response, len(browsers))
			for i, b := range browsers {
				pages[i] = b.start("")
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			launched := 0
			for i, b := range browsers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp := b.answer(pages[i], code)
					if strings.Contains(resp.Header.Get("Location"), "assertion=") {
						mu.Lock()
						launched++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if launched != 1 {
				t.Fatalf("%d of %d concurrent submissions launched the app, want 1", launched, len(browsers))
			}
		})
	})
}

func TestRunCodeFormatsAreExact(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Settings.MFAMaxSessionFailures = 20
		s.Settings.MFAMaxUserFailures = 20
		e := newEnv(t, s, totpOnly, nil)
		for e.f.TOTPCode(t)[0] != '0' {
			e.f.Clock.Advance(30 * time.Second)
		}
		code := e.f.TOTPCode(t)
		b := e.browser(t)
		page := b.start("")
		for _, value := range []string{code[1:], "0" + code, "+" + code[1:], code + ".0", toFullwidth(code), toArabicIndic(code), " " + code, code[:3] + " " + code[3:]} {
			resp := b.answer(page, value)
			if resp.StatusCode != http.StatusOK || resp.testID("mfa-error") == "" {
				t.Errorf("code %q: status %d, want the wrong-answer page", value, resp.StatusCode)
			}
		}
		assertionOf(t, e, b.answer(page, code))
	})
}

func toFullwidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune('０' + (r - '0'))
	}
	return b.String()
}

func toArabicIndic(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune('٠' + (r - '0'))
	}
	return b.String()
}

func TestRunEmailCodeFromOutbox(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechEmail, models.MechSMS}}}, nil)
		b := e.browser(t)
		choices := b.start("")
		if got := choices.testID("mfa-choice-" + models.MechSMS); !strings.Contains(got, "***-***-1234") {
			t.Errorf("SMS choice %q lacks the masked number", got)
		}
		if got := choices.testID("mfa-choice-" + models.MechEmail); !strings.Contains(got, "j***@example.com") {
			t.Errorf("email choice %q lacks the masked address", got)
		}
		if strings.Contains(choices.body, mfatest.Email) || strings.Contains(choices.body, "010 1234") {
			t.Error("the page shows an unmasked destination")
		}

		page := b.choose(choices, models.MechEmail)
		if got := page.testID("mfa-destination"); got != "j***@example.com" {
			t.Errorf("destination %q", got)
		}
		if page.doc.Find(`[data-testid="mfa-resend"]`).Length() != 1 {
			t.Error("no resend button")
		}
		tooSoon := b.post("/run/resend", url.Values{runviews.CSRFField: {page.formValues(t, `[data-testid="mfa-challenge-form"]`).Get(runviews.CSRFField)}})
		if !strings.Contains(tooSoon.testID("mfa-error"), "30 seconds") {
			t.Errorf("immediate resend: %q", tooSoon.testID("mfa-error"))
		}

		mails, err := s.OutboxMessagesTo(ctx, mfatest.Email)
		if err != nil || len(mails) != 1 {
			t.Fatalf("outbox has %d mails, want 1 (err %v)", len(mails), err)
		}
		code := codeIn(t, mails[0].Body)
		if strings.Contains(e.logs.String(), code) {
			t.Error("the log contains the email code")
		}
		assertionOf(t, e, b.answer(page, code))
	})
}

func TestRunSwitchingMechanismSendsCode(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechEmail, models.MechSMS}}}, nil)
		b := e.browser(t)
		smsPage := b.choose(b.start(""), models.MechSMS)
		if got := smsPage.testID("mfa-notice"); !strings.Contains(got, "***-***-1234") {
			t.Fatalf("SMS notice %q: %s", got, smsPage.body)
		}

		e.f.Clock.Advance(5 * time.Second)
		back := b.post("/run/choose", smsPage.formValues(t, `form:has([data-testid="mfa-switch"])`))
		emailPage := b.choose(b.get(back.Header.Get("Location")), models.MechEmail)
		if got := emailPage.testID("mfa-error"); got != "" {
			t.Errorf("email after SMS shows the error %q", got)
		}
		if got := emailPage.testID("mfa-notice"); got != "We sent a code to j***@example.com." {
			t.Errorf("email notice %q", got)
		}
		if mails, err := s.OutboxMessagesTo(ctx, mfatest.Email); err != nil || len(mails) != 1 {
			t.Fatalf("outbox has %d mails to the address, want 1 (err %v)", len(mails), err)
		}

		back = b.post("/run/choose", emailPage.formValues(t, `form:has([data-testid="mfa-switch"])`))
		smsAgain := b.choose(b.get(back.Header.Get("Location")), models.MechSMS)
		if got := smsAgain.testID("mfa-error"); !strings.Contains(got, "Enter that code") {
			t.Errorf("SMS again within 30 seconds: error %q, want one that says the earlier code still works", got)
		}
		if got := smsAgain.testID("mfa-prompt"); !strings.HasPrefix(got, "Enter the 6-digit code we sent to") {
			t.Errorf("prompt %q", got)
		}
		texts, err := s.OutboxMessagesTo(ctx, mfatest.Mobile)
		if err != nil || len(texts) != 1 {
			t.Fatalf("outbox has %d SMS messages, want 1 (err %v)", len(texts), err)
		}
		assertionOf(t, e, b.answer(smsAgain, codeIn(t, texts[0].Body)))
	})
}

// failingMailer is a Mailer whose every delivery fails.
type failingMailer struct{}

func (failingMailer) SendMail(context.Context, string, string, string) error {
	return errors.New("SMTP server unreachable")
}

func TestRunUndeliveredCodeIsNotClaimed(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		notifier := &notify.Notifier{Mail: failingMailer{}, SMS: &notify.OutboxSMS{Store: s, Log: slog.New(slog.DiscardHandler)}}
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechEmail}}}, notifier)
		page := e.browser(t).start("")
		if got := page.testID("mfa-error"); got == "" {
			t.Error("no error for the failed delivery")
		}
		if got := page.testID("mfa-notice"); got != "" {
			t.Errorf("notice %q claims a delivery", got)
		}
		if got := page.testID("mfa-prompt"); strings.Contains(got, "we sent") || !strings.Contains(got, "not sent") {
			t.Errorf("prompt %q, want one that says no code was sent", got)
		}
		if got := page.testID("mfa-resend"); got != "Send a code" {
			t.Errorf("resend button %q, want Send a code", got)
		}
	})
}

// codeIn returns the first run of six digits in a message.
func codeIn(t *testing.T, body string) string {
	t.Helper()
	for i := 0; i+6 <= len(body); i++ {
		candidate := body[i : i+6]
		if strings.Trim(candidate, "0123456789") == "" && (i+6 == len(body) || body[i+6] < '0' || body[i+6] > '9') {
			return candidate
		}
	}
	t.Fatalf("no code in %q", body)
	return ""
}

func TestRunNotEnrolledPage(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH, models.MechSMS}}, Enroll: []string{models.MechEmail}}, nil)
		b := e.browser(t)
		resp := b.get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+e.f.MintToken(t))
		page := b.get(resp.Header.Get("Location"))
		if page.StatusCode != http.StatusForbidden || page.doc.Find(`[data-testid="mfa-not-enrolled"]`).Length() != 1 {
			t.Fatalf("status %d: %s", page.StatusCode, page.body)
		}
		if !strings.Contains(page.body, models.MechanismLabels[models.MechOATH]) {
			t.Error("the page does not name the allowed mechanisms")
		}
		if href, _ := page.doc.Find(`[data-testid="mfa-enroll-link"]`).Attr("href"); href != "/my" {
			t.Errorf("enroll link %q, want /my", href)
		}
	})
}

func TestRunNotEnrolledGoesToFailureURL(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH, models.MechSMS}}, Enroll: []string{models.MechEmail}}, nil)
		b := e.browser(t)
		resp := b.get("/run?appkey="+e.f.App.AppKey+"&failureRedirectUrl=%2Ffailed", "Authorization", "Bearer "+e.f.MintToken(t))
		page := b.get(resp.Header.Get("Location"))
		if page.StatusCode != http.StatusSeeOther || page.Header.Get("Location") != "/failed?error=not_enrolled" {
			t.Fatalf("status %d location %q, want /failed?error=not_enrolled", page.StatusCode, page.Header.Get("Location"))
		}
		if again := b.get("/run/challenge"); again.StatusCode != http.StatusUnauthorized {
			t.Errorf("challenge page after the failure redirect: status %d, want 401", again.StatusCode)
		}
		events, err := s.ListAudit(ctx, models.AuditQuery{Action: "mfa.fail"})
		if err != nil || events.Total != 1 {
			t.Errorf("mfa.fail audit events: %d, err %v, want 1", events.Total, err)
		}
	})
}

func TestRunExpiredSession(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		b := e.browser(t)
		page := b.start("")
		e.f.Clock.Advance(models.MFASessionTTL + time.Second)
		if resp := b.answer(page, e.f.TOTPCode(t)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("answer in an expired session: status %d, want 401", resp.StatusCode)
		}

		b = e.browser(t)
		page = b.start("&failureRedirectUrl=" + url.QueryEscape("https://app-a.example/failed"))
		e.f.Clock.Advance(models.MFASessionTTL + time.Second)
		if resp := b.answer(page, e.f.TOTPCode(t)); resp.Header.Get("Location") != "https://app-a.example/failed?error=expired" {
			t.Fatalf("expired with a failure URL: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestRunWithoutSession(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		b := e.browser(t)
		if resp := b.get("/run/challenge"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("challenge without a session: status %d, want 401", resp.StatusCode)
		}
		if resp := b.post("/run/answer", url.Values{"answer": {"123456"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("answer without a session: status %d, want 401", resp.StatusCode)
		}
	})
}

func TestRunLogsNoSecrets(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechPassword}, {models.MechOATH}}}, nil)
		b := e.browser(t)
		token := e.f.MintToken(t)
		resp := b.get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+token)
		page := b.get(resp.Header.Get("Location"))
		page = b.answer(page, "wrong-password-guess")
		page = b.answer(page, mfatest.Password)
		page = b.get(page.Header.Get("Location"))
		code := e.f.TOTPCode(t)
		b.answer(page, code)

		logs := e.logs.String()
		for _, secret := range []string{token, "wrong-password-guess", mfatest.Password, code, b.cookies[run.CookieName]} {
			if secret != "" && strings.Contains(logs, secret) {
				t.Errorf("the log contains %q", secret)
			}
		}
	})
}
