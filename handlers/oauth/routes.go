package oauth

import (
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// Paths of the token API. Fiber matches them case-insensitively, so
// /OAuth2/Token/{ApplicationID} reaches the same handler.
const (
	PathToken      = "/oauth2/token/:applicationID"
	PathTokenAlias = "/token/:applicationID"
	PathIntrospect = "/oauth2/introspect/:applicationID"
	PathRevoke     = "/oauth2/revoke/:applicationID"
	PathAppKeys    = "/oauth2/keys/:applicationID"
	PathJWKS       = "/.well-known/jwks.json"
	PathMetadata   = "/.well-known/oauth-authorization-server"
)

// handler serves the token API.
type handler struct {
	store *models.Store
	log   *slog.Logger
	cfg   deps.Config
	now   func() time.Time
}

// Register adds the token API routes.
func Register(app *fiber.App, d deps.Deps) {
	h := &handler{store: d.Store, log: d.Log, cfg: d.Config, now: d.Now}
	if h.now == nil {
		h.now = func() time.Time { return time.Now().UTC() }
	}
	app.Post(PathToken, h.token)
	app.Post(PathTokenAlias, h.token)
	app.Post(PathIntrospect, h.introspect)
	app.Post(PathRevoke, h.revoke)
	app.Get(PathAppKeys, h.appKeys)
	app.Get(PathJWKS, h.jwks)
	app.Get(PathMetadata, h.metadata)
}

// maxLoggedIDLength bounds ids taken from requests in log lines.
const maxLoggedIDLength = 128

func truncateForLog(s string) string {
	if len(s) > maxLoggedIDLength {
		return s[:maxLoggedIDLength] + "..."
	}
	return s
}

// requestLog returns the request's logger with the Application ID of the
// path.
func (h *handler) requestLog(c *fiber.Ctx) *slog.Logger {
	return middleware.Logger(c, h.log).With("application_id", truncateForLog(c.Params("applicationID")))
}

// appFromPath returns the OAuth Client app named by the path, or an
// invalid_request response that names the unknown Application ID.
func (h *handler) appFromPath(c *fiber.Ctx) (*models.App, *Error, error) {
	id := c.Params("applicationID")
	app, err := h.store.AppByApplicationID(c.UserContext(), id)
	if errors.Is(err, models.ErrNotFound) || (err == nil && app.Template != models.TemplateOAuthClient) {
		return nil, invalidRequest(unknownAppDescription(id)), nil
	}
	if err != nil {
		return nil, nil, err
	}
	return app, nil, nil
}

// unknownAppDescription names the Application ID when it has the form of
// one, which also keeps the description within RFC 6749 §5.2's characters.
func unknownAppDescription(id string) string {
	if models.ValidateApplicationID(id) == nil {
		return "no OAuth Client app has the Application ID " + id
	}
	return "the Application ID in the URL is not valid; it must be 1 to 128 letters, digits, dots, underscores, tildes or hyphens"
}
