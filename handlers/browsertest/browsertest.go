// Package browsertest runs browser tests: it starts the server on a
// loopback port and drives Debian's headless Chromium through chromedp.
//
// Without Chromium the tests are skipped with a message, except under
// CI=true, where that is a failure.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/gofiber/fiber/v2"
)

// ScreenshotDirEnv names a folder for screenshots. Without it they go to
// the test's temporary folder.
const ScreenshotDirEnv = "PORTCULLIS_SCREENSHOT_DIR"

// chromiumPaths are where Debian and other distributions install Chromium.
var chromiumPaths = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}

// ChromiumPath returns the browser binary, or "" when none is installed.
func ChromiumPath() string {
	for _, p := range chromiumPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Listen opens a listener on a free loopback port and returns it with its
// base URL, so the server's configuration can name its own URL.
func Listen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen on 127.0.0.1: %v", err)
	}
	return ln, "http://" + ln.Addr().String()
}

// Serve runs app on ln until the test ends.
func Serve(t testing.TB, app *fiber.App, ln net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		_ = app.ShutdownWithTimeout(5 * time.Second)
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Logf("server stopped: %v", err)
		}
	})
}

// Browser is one headless Chromium with a fresh profile.
type Browser struct {
	t   testing.TB
	Ctx context.Context
	dir string
	n   int
}

// New starts Chromium for the test, or skips the test when it is not
// installed (fails under CI=true). timeout bounds the whole browser
// session. JavaScript dialogs (confirm) are accepted automatically.
func New(t testing.TB, timeout time.Duration) *Browser {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed and CI=true: install it with apt-get install chromium")
		}
		t.Skip("SKIPPING browser test: chromium is not installed (apt-get install chromium)")
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})

	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	// A confirm() dialog blocks the click that opened it, so a separate
	// goroutine accepts every dialog.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return &Browser{t: t, Ctx: ctx, dir: screenshotDir(t)}
}

func screenshotDir(t testing.TB) string {
	if dir := os.Getenv(ScreenshotDirEnv); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("create %s: %v", dir, err)
		}
		return dir
	}
	return t.TempDir()
}

// Do runs chromedp actions in order and fails the test, with a
// screenshot, when one fails.
func (b *Browser) Do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.Screenshot("failed-" + step)
		b.t.Fatalf("%s: %v", step, err)
	}
}

// Screenshot saves a full-page PNG (quality 100 selects PNG over JPEG)
// named NN-name.png and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	b.n++
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '\\' {
			return '-'
		}
		return r
	}, name)
	path := filepath.Join(b.dir, twoDigits(b.n)+"-"+safe+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("write screenshot %s: %v", path, err)
		return ""
	}
	return path
}

func twoDigits(n int) string { return fmt.Sprintf("%02d", n) }

// Dir returns the folder screenshots are written to.
func (b *Browser) Dir() string { return b.dir }
