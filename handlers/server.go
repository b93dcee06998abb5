// Package handlers wires every HTTP surface into one Fiber app. Each
// surface lives in its own subpackage and registers its own routes.
package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/health"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/static"
)

// Surface registers one group of routes.
type Surface func(app *fiber.App, d deps.Deps)

// New returns the Fiber app with the shared middleware and every surface.
func New(d deps.Deps, surfaces ...Surface) *fiber.App {
	cfg := d.Config
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	app := fiber.New(fiber.Config{
		AppName:               "Portcullis",
		ServerHeader:          "",
		DisableStartupMessage: true,
		// Immutable copies every string taken from the request, so values
		// kept past a handler (audit entries, goroutines) never alias
		// fasthttp's reused buffers.
		Immutable:               true,
		CaseSensitive:           false,
		StrictRouting:           false,
		BodyLimit:               cfg.BodyLimit,
		ReadTimeout:             cfg.ReadTimeout,
		WriteTimeout:            cfg.WriteTimeout,
		IdleTimeout:             cfg.IdleTimeout,
		ErrorHandler:            middleware.ErrorHandler(d.Log),
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(cfg.TrustedProxies),
		// The token endpoint parses multipart bodies itself, so a malformed
		// one gets an OAuth error instead of fasthttp's plain 400.
		DisablePreParseMultipartForm: true,
		// Requests behind proxies carry large cookies and forwarding
		// headers; fasthttp's default 4 KiB buffer would answer 431.
		ReadBufferSize: 16 * 1024,
	})

	app.Use(middleware.RequestID())
	app.Use(middleware.AccessLog(d.Log))
	app.Use(middleware.Metrics())
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: middleware.LogPanic(d.Log)}))
	app.Use(middleware.SecurityHeaders(cfg.SecureCookies()))
	app.Use(middleware.RejectMalformedInput())

	app.Use("/static", filesystem.New(filesystem.Config{
		Root:   static.HTTPFS(),
		MaxAge: 3600,
	}))
	health.Register(app, d)
	for _, register := range surfaces {
		register(app, d)
	}
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
