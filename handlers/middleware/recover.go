package middleware

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/gofiber/fiber/v2"
)

// LogPanic logs a recovered panic with its stack at Error level. The
// client sees only the error handler's public message.
func LogPanic(log *slog.Logger) func(c *fiber.Ctx, e any) {
	return func(c *fiber.Ctx, e any) {
		log.Error("panic while serving request",
			"request_id", GetRequestID(c),
			"method", c.Method(),
			"path", c.Path(),
			"panic", fmt.Sprint(e),
			"stack", string(debug.Stack()),
		)
	}
}
