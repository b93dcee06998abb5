package run_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/demoapp"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// chromiumPath returns Debian's chromium, or skips the test when it is
// missing, except under CI=true, where that is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed and CI=true; install it with apt-get install chromium")
	}
	t.Skip("SKIPPING the browser test: chromium is not installed (apt-get install chromium)")
	return ""
}

// newChromium starts a headless chromium with a fresh profile and returns
// a context for driving one tab.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	profile, err := os.MkdirTemp("", "portcullis-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		chromedp.Cancel(ctx)
		cancelCtx()
		cancelAlloc()
		// Chromium's child processes can write to the profile for a moment
		// after it stops, so a failed removal is retried and then ignored.
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	// The first Run starts the browser; it must not run under a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshotDir is PORTCULLIS_SCREENSHOT_DIR when set, else a temporary
// directory of the test.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("PORTCULLIS_SCREENSHOT_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

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

// serveHTTP serves the Fiber app on a random loopback port and returns its
// base URL.
func serveHTTP(t *testing.T, s *models.Store, configure func(baseURL string)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	configure(base)
	d := deps.Deps{
		Config: deps.Config{BaseURL: base, BodyLimit: 64 * 1024, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second},
		Store:  s,
		Log:    slog.New(slog.DiscardHandler),
	}
	app := handlers.New(d, run.Register, demoapp.Register)
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	return base
}

// TestRunInBrowser drives the MFA pages in chromium: one run answers the
// TOTP challenge and lands on the demo app with a valid assertion, the
// other fails the challenge and lands on the allowed failure URL.
func TestRunInBrowser(t *testing.T) {
	ctx := newChromium(t)
	shots := screenshotDir(t)
	s := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	s.Settings.MFAMaxSessionFailures = 2

	var f *mfatest.Fixture
	base := serveHTTP(t, s, func(base string) {
		f = mfatest.New(t, s, mfatest.Options{
			Challenges: [][]string{{models.MechOATH}},
			LaunchURL:  base + demoapp.AppPath,
		})
	})
	// The pages run on the real clock, like the browser's.
	s.Now = func() time.Time { return time.Now().UTC() }
	if err := s.EnsureSigningKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	step := func(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(t *testing.T, selector string) string {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		got, err := chromedp.Run(stepCtx, chromedp.Text(chromedp.CSS(selector)))
		if err != nil {
			t.Fatalf("text of %s: %v", selector, err)
		}
		return strings.TrimSpace(got)
	}
	open := func(t *testing.T, query string) {
		t.Helper()
		step(t,
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
		screenshot(t, ctx, shots, "mfa-totp-challenge")

		code, err := models.TOTPCode(mfatest.TOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		step(t,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), code),
			chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="demo-verified"]`)),
		)
		screenshot(t, ctx, shots, "mfa-launched-demo-app")
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

	t.Run("failed challenge lands on the failure URL", func(t *testing.T) {
		open(t, "&failureRedirectUrl=%2Fdemo%2Ffailed")
		step(t,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), "000000"),
			chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="mfa-error"]`)),
		)
		screenshot(t, ctx, shots, "mfa-wrong-code")
		if got := text(t, `[data-testid="mfa-tries-left"]`); got != "1 try left." {
			t.Errorf("tries left %q", got)
		}
		step(t,
			chromedp.SendKeys(chromedp.CSS(`[data-testid="mfa-code-input"]`), "000001"),
			chromedp.Click(chromedp.CSS(`[data-testid="mfa-submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="demo-error-code"]`)),
		)
		screenshot(t, ctx, shots, "mfa-failure-redirect")
		if got := text(t, `[data-testid="demo-error-code"]`); got != "mfa_failed" {
			t.Errorf("error code %q, want mfa_failed", got)
		}
		location, _ := chromedp.Run(ctx, chromedp.Location())
		if location != base+demoapp.FailedPath+"?error=mfa_failed" {
			t.Errorf("landed on %q", location)
		}
	})
	t.Logf("screenshots in %s", shots)
}
