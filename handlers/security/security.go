// Package security serves the security API that trusted backends call
// with an access token: POST /security/GetTokenForUser mints the icbt
// token that lets a user's browser launch an app through /run.
//
// Routes are protected by package bearer, so a request reaches a handler
// here only with a valid token whose scope allows the path. Responses are
// the JSON envelope of middleware.Envelope.
package security

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/bearer"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// PathGetTokenForUser is the route of GetTokenForUser.
const PathGetTokenForUser = "/security/GetTokenForUser"

// UserTokenCookie is the cookie that carries the icbt token.
const UserTokenCookie = "icbt"

// ActionMintUserToken is the audit action of a minted icbt token.
const ActionMintUserToken = "user_token.mint"

type handler struct {
	store  *models.Store
	log    *slog.Logger
	secure bool
}

// Register adds the security API routes.
func Register(app *fiber.App, d deps.Deps) {
	h := &handler{store: d.Store, log: d.Log, secure: d.Config.SecureCookies()}
	app.Post(PathGetTokenForUser, bearer.Require(d), h.getTokenForUser)
}

// userTokenResult is the Result of a successful GetTokenForUser.
type userTokenResult struct {
	User      string `json:"User"`
	UserID    string `json:"UserId"`
	ExpiresIn int    `json:"ExpiresIn"`
	Token     string `json:"Token"`
}

// getTokenForUser mints an icbt token for the user named by the query
// parameter user. The client must hold the right to mint user tokens, and
// the user must exist, be enabled and not be a service user. Every mint
// is audited in the transaction that stores the token.
func (h *handler) getTokenForUser(c *fiber.Ctx) error {
	ctx := c.UserContext()
	principal := bearer.PrincipalOf(c)
	client := principal.Client()
	log := middleware.Logger(c, h.log).With("client_id", client.LoginName)

	allowed, err := h.store.HasRight(ctx, client, models.RightMintUserTokens)
	if err != nil {
		return err
	}
	if !allowed {
		return bearer.Reject(c, h.log, bearer.InsufficientRight(
			"The client may not mint user tokens: give it the Mint User Tokens right through a role.",
			"client "+client.LoginName+" lacks the right "+models.RightMintUserTokens))
	}

	name, status, message := userParameter(c)
	if status != 0 {
		return fail(c, log, status, message)
	}
	user, err := h.store.UserByLoginName(ctx, name)
	if errors.Is(err, models.ErrNotFound) || (err == nil && (user.Disabled || user.IsServiceUser)) {
		return fail(c, log, http.StatusNotFound, "No enabled user has this login name.")
	}
	if err != nil {
		return err
	}

	token, err := h.mint(c, principal, user)
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "user token minted", "user_id", user.ID, "user", user.LoginName)

	secure := ""
	if h.secure {
		secure = "; Secure"
	}
	maxAge := int(models.UserTokenTTL / time.Second)
	// Written by hand to get the attribute spelling of the spec; the token
	// is base64url, so it needs no quoting.
	c.Append(fiber.HeaderSetCookie, fmt.Sprintf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s", UserTokenCookie, token, maxAge, secure))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
	return c.JSON(middleware.Envelope{
		Success:   true,
		Result:    userTokenResult{User: user.LoginName, UserID: user.ID, ExpiresIn: maxAge, Token: token},
		Message:   nil,
		RequestID: middleware.GetRequestID(c),
	})
}

// userParameter returns the one value of the query parameter user, or
// the status and message of the failure.
func userParameter(c *fiber.Ctx) (string, int, string) {
	values := c.Request().URI().QueryArgs().PeekMulti("user")
	switch {
	case len(values) > 1:
		return "", http.StatusBadRequest, "The user parameter is repeated; send it once."
	case len(values) == 0 || len(values[0]) == 0:
		return "", http.StatusBadRequest, "The user parameter is missing: send ?user={login name}."
	}
	// string() copies out of fasthttp's buffer, which is reused after the
	// handler returns.
	return string(values[0]), 0, ""
}

// mint stores the icbt token and its audit event in one transaction.
func (h *handler) mint(c *fiber.Ctx, principal *bearer.Principal, user *models.User) (string, error) {
	client := principal.Client()
	actor := models.Actor{
		UserID:    client.ID,
		Name:      client.LoginName,
		SourceIP:  c.IP(),
		RequestID: middleware.GetRequestID(c),
	}
	var token string
	err := h.store.InTx(c.UserContext(), func(tx *models.Store) error {
		var err error
		if token, _, err = tx.MintUserToken(c.UserContext(), user, client.ID, actor.SourceIP); err != nil {
			return err
		}
		return tx.RecordAudit(c.UserContext(), actor, models.AuditEntry{
			Action:     ActionMintUserToken,
			ObjectType: "user",
			ObjectID:   user.ID,
			ObjectName: user.LoginName,
			Details:    "application_id: " + principal.App().AppIDString(),
		})
	})
	return token, err
}

// fail responses with the envelope, success false and message.
func fail(c *fiber.Ctx, log *slog.Logger, status int, message string) error {
	log.InfoContext(c.UserContext(), "user token request rejected", "status", status, "message", message)
	c.Response().Header.Del(fiber.HeaderSetCookie)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(middleware.Envelope{
		Success:   false,
		Message:   message,
		RequestID: middleware.GetRequestID(c),
	})
}
