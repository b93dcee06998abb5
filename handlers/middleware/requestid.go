// Package middleware holds the Fiber middleware every route shares:
// request ids, the access log, the error handler and security headers.
package middleware

import (
	"context"
	"log/slog"
	"regexp"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// HeaderRequestID carries the request id in requests and responses.
const HeaderRequestID = "X-Request-ID"

const localRequestID = "request_id"

type ctxKey struct{}

// incomingIDPattern limits a caller-supplied request id to characters that
// cannot forge log fields or headers.
var incomingIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// RequestID assigns every request an id: the caller's X-Request-ID when it
// is well formed (so traces can span a proxy), otherwise a new UUID. The id
// is echoed in the response and stored in the request's user context.
func RequestID() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(HeaderRequestID)
		if !incomingIDPattern.MatchString(id) {
			id = uuid.NewString()
		} else {
			id = string([]byte(id)) // copy out of fasthttp's buffer
		}
		c.Locals(localRequestID, id)
		c.Set(HeaderRequestID, id)
		c.SetUserContext(context.WithValue(c.UserContext(), ctxKey{}, id))
		return c.Next()
	}
}

// GetRequestID returns the request's id, or "".
func GetRequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// RequestIDFromContext returns the id stored by RequestID, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Logger returns log with the request's id attached.
func Logger(c *fiber.Ctx, log *slog.Logger) *slog.Logger {
	return log.With("request_id", GetRequestID(c))
}
