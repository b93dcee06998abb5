package middleware

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
)

// contentSecurityPolicy allows only this server's own scripts, styles and
// images (plus data: images for QR codes) and forbids framing. It leaves
// form-action open because the launch of an app may post a form to the
// app's own origin.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// SecurityHeaders sets the security headers of every response.
func SecurityHeaders(https bool) fiber.Handler {
	cfg := helmet.Config{
		ContentSecurityPolicy: contentSecurityPolicy,
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "no-referrer",
		PermissionPolicy:      "camera=(), microphone=(), geolocation=()",
	}
	if https {
		cfg.HSTSMaxAge = 31536000
	}
	return helmet.New(cfg)
}
