package run_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/browsertest"
	"github.com/portcullis-id/portcullis/handlers/demoapp"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// setBearer makes the tab send "Authorization: Bearer token" with every
// request, or no extra header when token is "".
func setBearer(token string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		headers := network.Headers{}
		if token != "" {
			headers["Authorization"] = "Bearer " + token
		}
		_, err := cdp.Call(ctx, target, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers})
		return err
	})
}

// TestRunInBrowser drives the MFA pages in chromium: one run passes the
// TOTP challenge and lands on the demo app with a valid assertion, one
// launches an app whose launch method is form_post, and one fails the
// challenge and lands on the allowed failure URL.
func TestRunInBrowser(t *testing.T) {
	browser := browsertest.New(t, 2*time.Minute)
	ctx := browser.Ctx
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	s.Settings.MFAMaxSessionFailures = 2

	ln, base := browsertest.Listen(t)
	f := mfatest.New(t, s, mfatest.Options{
		Challenges: [][]string{{models.MechOATH}},
		LaunchURL:  base + demoapp.AppPath,
	})
	// The pages run on the real clock, like the browser's.
	s.Now = func() time.Time { return time.Now().UTC() }
	if err := s.EnsureSigningKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := deps.Deps{
		Config: deps.Config{BaseURL: base, BodyLimit: 64 * 1024, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second},
		Store:  s,
		Log:    slog.New(slog.DiscardHandler),
	}
	browsertest.Serve(t, handlers.New(d, run.Register, demoapp.Register), ln)

	step := func(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browser.Do(t.Name(), actions...)
	}
	text := func(t *testing.T, selector string) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
		if err != nil {
			t.Fatalf("text of %s: %v", selector, err)
		}
		return strings.TrimSpace(got)
	}
	open := func(t *testing.T, query string) {
		t.Helper()
		step(t,
			chromedp.EmulateViewport(390, 844),
			setBearer(f.MintToken(t)),
			chromedp.Navigate(base+"/run?appkey="+f.App.AppKey+query),
			setBearer(""),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="mfa-code-input"]`)),
		)
	}

	t.Run("TOTP success lands on the app", func(t *testing.T) {
		open(t, "")
		if got := text(t, `[data-testid="app-name"]`); got != "App A" {
			t.Errorf("app name %q", got)
		}
		browser.Screenshot("mfa-totp-challenge")

		code, err := models.TOTPCode(mfatest.TOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		step(t,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), code),
			chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="demo-verified"]`)),
		)
		browser.Screenshot("mfa-launched-demo-app")
		if got := text(t, `[data-testid="claim-aud"]`); got != f.App.AppKey {
			t.Errorf("aud %q, want the App Key %s", got, f.App.AppKey)
		}
		if got := text(t, `[data-testid="claim-sub"]`); got != f.User.ID {
			t.Errorf("sub %q, want %s", got, f.User.ID)
		}
		location, _ := chromedp.Run(ctx, chromedp.Location())
		if !strings.HasPrefix(location, base+demoapp.AppPath+"?assertion=") {
			t.Errorf("landed on %q", location)
		}
	})

	t.Run("form_post launch submits without a click", func(t *testing.T) {
		formPost := mfatest.NewApp(t, s, mfatest.Options{
			Challenges:   [][]string{{models.MechSecurityQuestion}},
			LaunchURL:    base + demoapp.AppPath,
			LaunchMethod: models.LaunchFormPost,
		})
		if err := s.SetAppPermission(ctx, formPost.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: f.User.ID, Run: true}); err != nil {
			t.Fatal(err)
		}
		step(t,
			setBearer(f.MintToken(t)),
			chromedp.Navigate(base+"/run?appkey="+formPost.AppKey),
			setBearer(""),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="mfa-code-input"]`)),
			chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), mfatest.SecurityAnswer),
			chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
		)
		// Without the script the page stops at the Continue button, so the
		// wait is bounded well below the browser's own timeout.
		waitCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.CSS(`[data-testid="demo-verified"]`))); err != nil {
			browser.Screenshot("form-post-not-submitted")
			t.Fatalf("the launch form did not submit itself: %v", err)
		}
		location, _ := chromedp.Run(ctx, chromedp.Location())
		if location != base+demoapp.AppPath {
			t.Errorf("landed on %q, want the app's launch URL without a query", location)
		}
		if got := text(t, `[data-testid="claim-aud"]`); got != formPost.AppKey {
			t.Errorf("aud %q, want the App Key %s", got, formPost.AppKey)
		}
	})

	t.Run("failed challenge lands on the failure URL", func(t *testing.T) {
		open(t, "&failureRedirectUrl=%2Fdemo%2Ffailed")
		step(t,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), "000000"),
			chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="mfa-error"]`)),
		)
		browser.Screenshot("mfa-wrong-code")
		if got := text(t, `[data-testid="mfa-tries-left"]`); got != "1 try left." {
			t.Errorf("tries left %q", got)
		}
		step(t,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), "000001"),
			chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="demo-error-code"]`)),
		)
		browser.Screenshot("mfa-failure-redirect")
		if got := text(t, `[data-testid="demo-error-code"]`); got != "mfa_failed" {
			t.Errorf("error code %q, want mfa_failed", got)
		}
		location, _ := chromedp.Run(ctx, chromedp.Location())
		if location != base+demoapp.FailedPath+"?error=mfa_failed" {
			t.Errorf("landed on %q", location)
		}
	})
	t.Logf("screenshots in %s", browser.Dir())
}
