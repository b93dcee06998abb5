package my_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/browsertest"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/my"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// TestMyTOTPEnrollmentInBrowser signs in to the user portal in chromium,
// sets up an authenticator app from the page's key and sees it enrolled.
func TestMyTOTPEnrollmentInBrowser(t *testing.T) {
	browser := browsertest.New(t, 2*time.Minute)
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	user, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("jane"), DisplayName: "Jane Doe", Password: mfatest.Password})
	if err != nil {
		t.Fatal(err)
	}
	ln, base := browsertest.Listen(t)
	d := deps.Deps{
		Config: deps.Config{BaseURL: base, BodyLimit: 64 * 1024, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second},
		Store:  s,
		Log:    slog.New(slog.DiscardHandler),
	}
	browsertest.Serve(t, handlers.New(d, my.Register), ln)

	browser.Do("sign in",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/my"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-login-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="my-login-name"]`), user.LoginName),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="my-password"]`), mfatest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid="my-login-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-setup-totp"]`)),
	)
	browser.Screenshot("my-dashboard")
	browser.Do("open TOTP setup",
		chromedp.Click(chromedp.CSS(`[data-testid="my-setup-totp"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-totp-qr"]`)),
	)
	browser.Screenshot("my-totp-setup")
	secret, err := chromedp.Run(browser.Ctx, chromedp.Text(chromedp.CSS(`[data-testid="my-totp-secret"]`)))
	if err != nil {
		t.Fatal(err)
	}
	code, err := models.TOTPCode(strings.TrimSpace(secret), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	browser.Do("confirm TOTP",
		chromedp.SendKeys(chromedp.CSS(`[data-testid="my-totp-code"]`), code),
		chromedp.Click(chromedp.CSS(`[data-testid="my-totp-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="my-notice"]`)),
	)
	browser.Screenshot("my-totp-enrolled")
	status, err := chromedp.Run(browser.Ctx, chromedp.Text(chromedp.CSS(`[data-testid="my-factor-totp-status"]`)))
	if err != nil || strings.TrimSpace(status) != "Set up" {
		t.Fatalf("TOTP status %q, err %v", status, err)
	}
}
