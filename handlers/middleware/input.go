package middleware

import (
	"bytes"
	"net/http"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// Public messages of the input checks.
const (
	msgMalformedInput  = "The request contains a NUL character or bytes that are not valid UTF-8. Send text parameters as UTF-8."
	msgContentEncoding = "Compressed request bodies are not accepted. Send the body without Content-Encoding."
)

// RejectMalformedInput answers 400 before any handler runs when a query
// parameter, a form field or a JSON body carries a NUL character or
// invalid UTF-8: PostgreSQL rejects both in text columns, and no login
// name, secret or setting needs them. It also answers 415 to compressed
// request bodies, since inflating them would let a small request exceed
// the body limit many times over.
func RejectMalformedInput() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if enc := c.Request().Header.Peek(fiber.HeaderContentEncoding); len(enc) > 0 && !bytes.EqualFold(enc, []byte("identity")) {
			return NewHTTPError(http.StatusUnsupportedMediaType, msgContentEncoding, nil)
		}

		bad := false
		check := func(key, value []byte) {
			if !bad && (!cleanText(key) || !cleanText(value)) {
				bad = true
			}
		}
		c.Request().URI().QueryArgs().VisitAll(check)
		ctype := c.Request().Header.ContentType()
		switch {
		case bytes.HasPrefix(ctype, []byte(fiber.MIMEApplicationForm)):
			c.Request().PostArgs().VisitAll(check)
		case bytes.HasPrefix(ctype, []byte(fiber.MIMEMultipartForm)):
			if form, err := c.Request().MultipartForm(); err == nil {
				for key, values := range form.Value {
					for _, v := range values {
						check([]byte(key), []byte(v))
					}
				}
			}
		case bytes.HasPrefix(ctype, []byte(fiber.MIMEApplicationJSON)):
			body := c.Request().Body()
			// JSON can spell NUL as an escape, which decodes to a NUL byte.
			if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 || bytes.Contains(body, []byte(`\u0000`)) {
				bad = true
			}
		}
		if bad {
			return NewHTTPError(http.StatusBadRequest, msgMalformedInput, nil)
		}
		return c.Next()
	}
}

// cleanText reports whether b is valid UTF-8 without NUL bytes.
func cleanText(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}
