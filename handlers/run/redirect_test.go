package run_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// attackFailureURLs are failureRedirectUrl values as they appear in the
// query string: encoded local-path tricks, host allow-list tricks and
// CR/LF header injection.
var attackFailureURLs = []struct{ name, query string }{
	{"double slash", "%2F%2Fevil.example%2F"},
	{"four slashes", "%2F%2F%2F%2Fevil.example"},
	{"slash backslash", "%2F%5Cevil.example"},
	{"two backslashes", "%5C%5Cevil.example"},
	{"dot segment to backslash", "%2Fa%2F..%2F%5Cevil.example"},
	{"double-encoded slash", "%2F%252F%2Fevil.example"},
	{"tab between slashes", "%2F%09%2Fevil.example"},
	{"userinfo", url.QueryEscape("https://app-a.example@evil.example/")},
	{"two userinfo parts", url.QueryEscape("https://x@app-a.example@evil.example/")},
	{"encoded at sign", url.QueryEscape("https://app-a.example%40evil.example/")},
	{"allowed host as subdomain", url.QueryEscape("https://app-a.example.evil.example/")},
	{"hyphenated look-alike", url.QueryEscape("https://evil-app-a.example/")},
	{"prefixed look-alike", url.QueryEscape("https://evilapp-a.example/")},
	{"ideographic full stop", url.QueryEscape("https://evil%E3%80%82example/")},
	{"port in userinfo", url.QueryEscape("https://app-a.example:443@evil.example/")},
	{"CRLF Set-Cookie", "%2Fok%0D%0ASet-Cookie%3A%20icbt%3Dattacker-value"},
	{"LF header", "%2Fok%0AX-Injected%3A%201"},
	{"CR header", "%2Fok%0DX-Injected%3A%201"},
	{"CRLF body", "%2Fok%0D%0A%0D%0A%3Chtml%3Einjected"},
}

// checkResponseIsSafe fails when a response would send a browser
// anywhere but this server or the app's host, or carries injected text.
func checkResponseIsSafe(t *testing.T, resp *response) {
	t.Helper()
	if loc := resp.Header.Get("Location"); loc != "" {
		if strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `\`) || strings.HasPrefix(loc, `/\`) || strings.ContainsAny(loc, "\r\n\t") {
			t.Errorf("unsafe Location %q", loc)
		}
		target, err := url.Parse(baseURL + "/x")
		if err == nil {
			target, err = target.Parse(loc)
		}
		if err != nil || (target.Host != "localhost:8080" && !strings.EqualFold(target.Hostname(), "app-a.example")) {
			t.Errorf("Location %q resolves off-site", loc)
		}
	}
	for _, bad := range []string{"\r\nX-Injected", "\nX-Injected", "Set-Cookie: icbt=attacker-value", "<html>injected"} {
		if strings.Contains(resp.raw, bad) {
			t.Errorf("response contains %q:\n%s", bad, resp.raw)
		}
	}
	if resp.Header.Get("X-Injected") != "" {
		t.Error("response has an X-Injected header")
	}
	if strings.Contains(resp.body, "evil.example") || strings.Contains(resp.body, "evil-app") || strings.Contains(resp.body, "evilapp") {
		t.Errorf("body reflects the rejected URL: %s", resp.body)
	}
}

func TestRunFailureRedirectIsNeverUnsafe(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Settings.MFAMaxSessionFailures = 1
		s.Settings.MFAMaxUserFailures = 1000
		e := newEnv(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}, LaunchURL: "https://app-a.example/launch"}, nil)

		for _, tc := range attackFailureURLs {
			t.Run(tc.name, func(t *testing.T) {
				bad := e.browser(t).get("/run?appkey="+e.f.App.AppKey+"&failureRedirectUrl="+tc.query, "Authorization", "Bearer not-a-valid-icbt")
				if bad.StatusCode != http.StatusUnauthorized {
					t.Errorf("bad icbt: status %d, want 401", bad.StatusCode)
				}
				checkResponseIsSafe(t, bad)

				b := e.browser(t)
				page := b.start("&failureRedirectUrl=" + tc.query)
				failed := b.answer(page, "000000")
				if failed.StatusCode != http.StatusForbidden {
					t.Errorf("failed challenge: status %d location %q, want the 403 failure page", failed.StatusCode, failed.Header.Get("Location"))
				}
				checkResponseIsSafe(t, failed)
			})
		}

		controls := []struct{ name, value, want string }{
			{"upper-case app host", "https://APP-A.EXAMPLE/ok", "https://APP-A.EXAMPLE/ok?error=mfa_failed"},
			{"app host", "https://app-a.example/ok", "https://app-a.example/ok?error=mfa_failed"},
			{"local path", "/failed", "/failed?error=mfa_failed"},
			{"local path with query", "/failed?from=run", "/failed?from=run&error=mfa_failed"},
		}
		for _, tc := range controls {
			t.Run(tc.name, func(t *testing.T) {
				b := e.browser(t)
				page := b.start("&failureRedirectUrl=" + url.QueryEscape(tc.value))
				failed := b.answer(page, "000000")
				if failed.StatusCode != http.StatusSeeOther || failed.Header.Get("Location") != tc.want {
					t.Fatalf("status %d location %q, want %q", failed.StatusCode, failed.Header.Get("Location"), tc.want)
				}
				checkResponseIsSafe(t, failed)
			})
		}

		t.Run("failure URL cannot be swapped after start", func(t *testing.T) {
			b := e.browser(t)
			page := b.start("&failureRedirectUrl=%2Ffailed")
			form := page.formValues(t, `[data-testid="mfa-challenge-form"]`)
			form.Set("answer", "000000")
			form.Set("failureRedirectUrl", "https://app-a.example/other")
			failed := b.post("/run/answer?failureRedirectUrl="+url.QueryEscape("https://app-a.example/other"), form)
			if failed.Header.Get("Location") != "/failed?error=mfa_failed" {
				t.Fatalf("location %q, want the URL captured at start", failed.Header.Get("Location"))
			}
		})
		t.Run("repeated parameter is ignored", func(t *testing.T) {
			b := e.browser(t)
			page := b.start("&failureRedirectUrl=%2Ffailed&failureRedirectUrl=%2F%2Fevil.example")
			failed := b.answer(page, "000000")
			if failed.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d location %q, want the failure page", failed.StatusCode, failed.Header.Get("Location"))
			}
		})
	})
}
