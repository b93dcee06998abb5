package oauth

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
)

// introspection is the response of RFC 7662 §2.2. An inactive token gets
// only {"active": false}.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Nbf       int64  `json:"nbf,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	JTI       string `json:"jti,omitempty"`
}

// tokenRequest is the authenticated part shared by introspection and
// revocation: the app, the client and the token parameter.
type tokenRequest struct {
	app    *models.App
	client *models.User
	token  string
	log    *slog.Logger
}

// readTokenRequest runs the phases that introspection and revocation
// share: find the app, parse the body, require the token parameter and
// authenticate the client as the token endpoint does. When ok is false,
// the response has been written and err is what the handler returns.
func (h *handler) readTokenRequest(c *fiber.Ctx) (*tokenRequest, bool, error) {
	log := h.requestLog(c)
	app, oerr, err := h.appFromPath(c)
	if err != nil {
		return nil, false, err
	}
	if oerr != nil {
		return nil, false, writeError(c, log, oerr)
	}

	f, oerr := parseForm(c)
	if oerr != nil {
		return nil, false, writeError(c, log, oerr)
	}
	token := f.get("token")
	if token == "" {
		return nil, false, writeError(c, log, invalidRequest("the token parameter is missing"))
	}

	creds, oerr := readClientCredentials(c, f)
	log = log.With("client_id", truncateForLog(creds.clientID))
	if oerr != nil {
		return nil, false, writeError(c, log, oerr)
	}
	client, oerr, err := h.authenticate(c, app, creds)
	if err != nil {
		return nil, false, err
	}
	if oerr != nil {
		return nil, false, writeError(c, log, oerr)
	}
	return &tokenRequest{app: app, client: client, token: token, log: log}, true, nil
}

// introspect serves token introspection (RFC 7662) for the resource
// servers of an app. A token is active when it verifies, was issued for
// this app, is not revoked, and its client and app are still enabled.
// Anything else is {"active": false}, never an error about the token.
func (h *handler) introspect(c *fiber.Ctx) error {
	req, ok, err := h.readTokenRequest(c)
	if !ok {
		return err
	}

	at, err := h.store.VerifyAccessToken(c.UserContext(), req.token, h.cfg.Issuer())
	switch {
	case errors.Is(err, models.ErrInvalidJWT), errors.Is(err, models.ErrClientNotAllowed):
		req.log.InfoContext(c.UserContext(), "introspected an inactive token", "reason", err.Error())
		return writeIntrospection(c, introspection{Active: false})
	case err != nil:
		return err
	case at.App.ID != req.app.ID:
		req.log.InfoContext(c.UserContext(), "introspected a token of another app", "jti", at.JTI)
		return writeIntrospection(c, introspection{Active: false})
	}

	req.log.InfoContext(c.UserContext(), "introspected an active token", "jti", at.JTI)
	nbf, _ := at.Claims.GetNotBefore()
	result := introspection{
		Active:    true,
		Scope:     strings.Join(at.Scopes, " "),
		ClientID:  at.Client.LoginName,
		TokenType: "Bearer",
		Exp:       at.ExpiresAt.Unix(),
		Iat:       at.IssuedAt.Unix(),
		Sub:       at.Client.ID,
		Aud:       at.App.AppKey,
		Iss:       h.cfg.Issuer(),
		JTI:       at.JTI,
	}
	if nbf != nil {
		result.Nbf = nbf.Unix()
	}
	return writeIntrospection(c, result)
}

func writeIntrospection(c *fiber.Ctx, result introspection) error {
	noStore(c)
	return c.JSON(result)
}

// revoke serves token revocation (RFC 7009). The response is 200 for any
// token the client does not own a valid copy of: invalid, expired and
// unknown tokens need no revocation (§2.2). A valid token of another
// client is refused with unauthorized_client (§2.1). A revoked token's
// jti is stored until the token expires, and VerifyAccessToken rejects it
// on every instance.
func (h *handler) revoke(c *fiber.Ctx) error {
	req, ok, err := h.readTokenRequest(c)
	if !ok {
		return err
	}

	at, err := h.store.VerifyAccessToken(c.UserContext(), req.token, h.cfg.Issuer())
	switch {
	case errors.Is(err, models.ErrInvalidJWT):
		req.log.InfoContext(c.UserContext(), "revocation of a token that is not valid; nothing to do", "reason", err.Error())
		noStore(c)
		return c.SendStatus(fiber.StatusOK)
	case err != nil && !errors.Is(err, models.ErrClientNotAllowed):
		return err
	case at.Client.ID != req.client.ID:
		return writeError(c, req.log, unauthorizedClient("the token was issued to another client"))
	}

	if err := h.store.RevokeJWT(c.UserContext(), at.JTI, at.ExpiresAt); err != nil {
		return err
	}
	req.log.InfoContext(c.UserContext(), "access token revoked", "jti", at.JTI)
	noStore(c)
	return c.SendStatus(fiber.StatusOK)
}
