package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/views"
)

// HTTPError is an error with a message safe to show the client. Cause is
// logged and never sent.
type HTTPError struct {
	Status int
	Public string
	Cause  error
}

func (e *HTTPError) Error() string {
	if e.Cause != nil {
		return e.Public + ": " + e.Cause.Error()
	}
	return e.Public
}

func (e *HTTPError) Unwrap() error { return e.Cause }

// NewHTTPError returns an HTTPError.
func NewHTTPError(status int, public string, cause error) *HTTPError {
	return &HTTPError{Status: status, Public: public, Cause: cause}
}

// publicMessages are the messages sent for statuses raised by Fiber itself,
// whose own messages may carry parser or internal text.
var publicMessages = map[int]string{
	http.StatusBadRequest:            "The request is malformed.",
	http.StatusUnauthorized:          "Authentication is required.",
	http.StatusForbidden:             "You do not have access to this page.",
	http.StatusNotFound:              "The page you asked for does not exist.",
	http.StatusMethodNotAllowed:      "This method is not allowed here.",
	http.StatusRequestTimeout:        "The request took too long to arrive.",
	http.StatusRequestEntityTooLarge: "The request body is too large.",
	http.StatusUnsupportedMediaType:  "The request's content type is not supported here.",
	http.StatusTooManyRequests:       "Too many requests. Wait a moment and try again.",
	http.StatusServiceUnavailable:    "The service is not available right now.",
}

func publicMessage(status int) string {
	if m, ok := publicMessages[status]; ok {
		return m
	}
	if status >= 500 {
		return "Something went wrong on our side. Quote the request id when you report it."
	}
	return http.StatusText(status)
}

// ErrorHandler writes every error that a handler returns: a public message
// and the request id to the client, the cause to the log. The format
// follows the surface: OAuth JSON on token endpoints, the JSON envelope on
// APIs, an HTML page elsewhere.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status := http.StatusInternalServerError
		public := ""
		var herr *HTTPError
		var ferr *fiber.Error
		switch {
		case errors.As(err, &herr):
			status, public = herr.Status, herr.Public
		case errors.As(err, &ferr):
			status = ferr.Code
		}
		if public == "" {
			public = publicMessage(status)
		}

		requestID := GetRequestID(c)
		logger := log.With("request_id", requestID, "method", c.Method(), "path", c.Path(), "status", status)
		if status >= 500 {
			logger.Error("request failed", "error", err)
		} else {
			logger.Debug("request rejected", "error", err)
		}

		dropCookies(c)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Status(status)
		path := strings.ToLower(c.Path())
		switch {
		case isOAuthPath(path):
			code := "invalid_request"
			if status >= 500 {
				code = "server_error"
			}
			return c.JSON(fiber.Map{"error": code, "error_description": public, "request_id": requestID})
		case strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/security/"):
			return c.JSON(Envelope{Success: false, Message: public, RequestID: requestID})
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return views.ErrorPage(views.ErrorPageData{
			Status:    status,
			Title:     http.StatusText(status),
			Message:   public,
			RequestID: requestID,
		}).Render(c.UserContext(), c.Response().BodyWriter())
	}
}

// localKeptCookies is the Locals key of the set of cookie names that
// KeepCookieOnError marked.
const localKeptCookies = "middleware.kept_cookies"

// KeepCookieOnError marks the cookie name so that ErrorHandler keeps its
// Set-Cookie when the request fails later. Session stores call it when
// they save, because a handler that regenerated or destroyed a session has
// already deleted the old id's server-side state. Dropping the new cookie
// would leave the browser holding a dead id. After /run has consumed an
// icbt token and launches at once, it would also leave no way to retry.
func KeepCookieOnError(c *fiber.Ctx, name string) {
	names, _ := c.Locals(localKeptCookies).(map[string]bool)
	if names == nil {
		names = map[string]bool{}
		c.Locals(localKeptCookies, names)
	}
	names[name] = true
}

// dropCookies removes every cookie the failed response would set except
// those marked by KeepCookieOnError, so an error never hands out a token
// such as the icbt cookie of GetTokenForUser.
func dropCookies(c *fiber.Ctx) {
	kept, _ := c.Locals(localKeptCookies).(map[string]bool)
	var names []string
	c.Response().Header.VisitAllCookie(func(name, _ []byte) {
		if !kept[string(name)] {
			names = append(names, string(name))
		}
	})
	for _, name := range names {
		c.Response().Header.DelCookie(name)
	}
}

func isOAuthPath(path string) bool {
	return strings.HasPrefix(path, "/oauth2/") || strings.HasPrefix(path, "/token/")
}

// Envelope is the JSON envelope of the security and admin APIs, in the
// shape CyberArk Identity's REST API uses.
type Envelope struct {
	Success         bool   `json:"success"`
	Result          any    `json:"Result"`
	Message         any    `json:"Message"`
	MessageID       any    `json:"MessageID"`
	Exception       any    `json:"Exception"`
	ErrorID         any    `json:"ErrorID"`
	ErrorCode       any    `json:"ErrorCode"`
	IsSoftError     bool   `json:"IsSoftError"`
	InnerExceptions any    `json:"InnerExceptions"`
	RequestID       string `json:"RequestId,omitempty"`
}
