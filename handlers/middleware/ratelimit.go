package middleware

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
)

// msgTooManySignIns is the page text when one address posts too many
// sign-in forms.
const msgTooManySignIns = "Too many sign-in attempts from your network. Wait a minute, then try again."

// SignInRateLimit limits the sign-in form posts of one client address to
// max per window, with Fiber's fixed-window limiter; max 0 turns it off. Further posts get 429
// Too Many Requests with a Retry-After header and a readable page.
//
// The key is c.IP(), which is the TCP peer unless trusted proxies are
// configured: behind a proxy that is not trusted, every client shares the
// proxy's address and its limit.
//
// NOTE: the counts are kept in this process's memory, so each instance
// allows max posts per window. The per-login-name lockout in
// models.Store.CheckSignInPassword is the limit that instances share.
func SignInRateLimit(max int, window time.Duration) fiber.Handler {
	// Fiber's limiter reads Max 0 as its default of 5, so 0 (off) is
	// handled here.
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:          max,
		Expiration:   window,
		KeyGenerator: func(c *fiber.Ctx) string { return c.IP() },
		LimitReached: func(c *fiber.Ctx) error {
			return NewHTTPError(fiber.StatusTooManyRequests, msgTooManySignIns,
				errors.New("sign-in rate limit reached for "+c.IP()))
		},
	})
}
