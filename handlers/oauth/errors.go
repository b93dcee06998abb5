package oauth

import (
	"log/slog"
	"net/http"

	"github.com/gofiber/fiber/v2"
)

// Error codes of RFC 6749 §5.2 and RFC 7009 §2.2.1.
const (
	codeInvalidRequest       = "invalid_request"
	codeInvalidClient        = "invalid_client"
	codeUnauthorizedClient   = "unauthorized_client"
	codeUnsupportedGrantType = "unsupported_grant_type"
	codeInvalidScope         = "invalid_scope"
	codeNotFound             = "not_found"
)

// basicChallenge is sent with 401 invalid_client. The charset parameter
// (RFC 7617 §2.1) requests that clients encode credentials as UTF-8.
const basicChallenge = `Basic realm="portcullis", charset="UTF-8"`

// clientAuthFailed is the one description of every invalid_client response,
// so the response does not reveal which check failed.
const clientAuthFailed = "client authentication failed"

// Error is an OAuth error response. Description is sent to the client and
// must contain only the characters RFC 6749 §5.2 allows: printable ASCII
// without '"' and '\'. Reason is logged and never sent.
type Error struct {
	Code        string
	Description string
	Status      int
	// Challenge is the WWW-Authenticate value of a 401 response.
	Challenge string
	Reason    string
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }

func invalidRequest(description string) *Error {
	return &Error{Code: codeInvalidRequest, Description: description, Status: http.StatusBadRequest}
}

// invalidClient returns the invalid_client response: 401 with a Basic
// challenge when the client tried HTTP Basic or sent no credentials at
// all (RFC 6749 §5.2), 400 otherwise.
func invalidClient(challenge bool, reason string) *Error {
	e := &Error{Code: codeInvalidClient, Description: clientAuthFailed, Status: http.StatusBadRequest, Reason: reason}
	if challenge {
		e.Status = http.StatusUnauthorized
		e.Challenge = basicChallenge
	}
	return e
}

func unauthorizedClient(description string) *Error {
	return &Error{Code: codeUnauthorizedClient, Description: description, Status: http.StatusBadRequest}
}

func unsupportedGrantType(description string) *Error {
	return &Error{Code: codeUnsupportedGrantType, Description: description, Status: http.StatusBadRequest}
}

func invalidScope(description string) *Error {
	return &Error{Code: codeInvalidScope, Description: description, Status: http.StatusBadRequest}
}

// noStore sets the headers RFC 6749 §5.1 requires on token responses and
// that every response of this package carries.
func noStore(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
}

// writeError sends e as JSON and logs it at Info, with the client id and
// Application ID when known. It never logs credentials.
func writeError(c *fiber.Ctx, log *slog.Logger, e *Error, attrs ...slog.Attr) error {
	attrs = append(attrs,
		slog.String("error", e.Code),
		slog.Int("status", e.Status),
	)
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	log.LogAttrs(c.UserContext(), slog.LevelInfo, "oauth request rejected", attrs...)

	noStore(c)
	if e.Challenge != "" {
		c.Set(fiber.HeaderWWWAuthenticate, e.Challenge)
	}
	return c.Status(e.Status).JSON(fiber.Map{"error": e.Code, "error_description": e.Description})
}
