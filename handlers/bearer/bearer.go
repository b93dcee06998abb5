// Package bearer protects routes with the access tokens of the token
// endpoint (RFC 6750). Require verifies the token and checks that it is
// not revoked and that its client and app are still enabled. It allows
// the request only when one of the token's scopes has a REST regex that
// matches the request path. The match is models.MatchScopes, anchored and
// case-insensitive, the same as the portal's scope tester uses.
//
// Require writes the failure responses itself: the JSON envelope of the
// security and admin APIs with a WWW-Authenticate challenge, and never a
// cookie.
package bearer

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// Realm is the realm of the Bearer challenges.
const Realm = "portcullis"

const localPrincipal = "bearer.principal"

// Principal is the caller of a request that Require allowed.
type Principal struct {
	Token *models.AccessToken
	// Match is the scope and regex that allowed the request path.
	Match models.ScopeMatch
}

// Client returns the user the token was issued to.
func (p *Principal) Client() *models.User { return p.Token.Client }

// App returns the OAuth Client app the token was issued for.
func (p *Principal) App() *models.App { return p.Token.App }

// PrincipalOf returns the principal stored by Require, or nil on a route
// that Require does not protect.
func PrincipalOf(c *fiber.Ctx) *Principal {
	p, _ := c.Locals(localPrincipal).(*Principal)
	return p
}

// Failure is a rejected bearer request. Message is sent to the client;
// Reason is logged only.
type Failure struct {
	Status int
	// Code is the RFC 6750 §3.1 error code of the challenge, or "" when
	// the request carried no token.
	Code    string
	Message string
	Reason  string
}

// Failures sent by Require, and by handlers that add their own checks.
var (
	missingToken = Failure{Status: http.StatusUnauthorized, Message: "An access token is required: send Authorization: Bearer {access token}."}
	invalidToken = Failure{Status: http.StatusUnauthorized, Code: "invalid_token", Message: "The access token is invalid or has expired."}
	clientDenied = Failure{Status: http.StatusForbidden, Code: "insufficient_scope", Message: "The client or app of the access token is disabled."}
	scopeDenied  = Failure{Status: http.StatusForbidden, Code: "insufficient_scope", Message: "The scope of the access token does not allow this request."}
)

// InsufficientRight returns the 403 response for a client that lacks an
// administrative right a route needs.
func InsufficientRight(message, reason string) Failure {
	return Failure{Status: http.StatusForbidden, Code: "insufficient_scope", Message: message, Reason: reason}
}

// Require returns middleware that allows a request only with a valid
// access token whose scope matches the request path.
func Require(d deps.Deps) fiber.Handler {
	issuer := d.Config.Issuer()
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		token, found := tokenFromHeader(c.Get(fiber.HeaderAuthorization))
		if !found {
			return Reject(c, d.Log, missingToken)
		}

		at, err := d.Store.VerifyAccessToken(ctx, token, issuer)
		switch {
		case errors.Is(err, models.ErrInvalidJWT):
			return Reject(c, d.Log, withReason(invalidToken, err.Error()))
		case errors.Is(err, models.ErrClientNotAllowed):
			return Reject(c, d.Log, withReason(clientDenied, "client "+at.Client.LoginName+" or app "+at.App.Name+" is disabled"))
		case err != nil:
			return err
		}

		rules, err := tokenRules(c, d.Store, at)
		if err != nil {
			return err
		}
		path, ok := requestPath(c.Path())
		match, allowed := models.MatchScopes(path, rules)
		if !ok || !allowed {
			return Reject(c, d.Log, withReason(scopeDenied, "client "+at.Client.LoginName+" with scope "+strings.Join(at.Scopes, " ")+" called a path no scope allows"))
		}

		c.Locals(localPrincipal, &Principal{Token: at, Match: match})
		return c.Next()
	}
}

// tokenRules returns the REST regexes of the token's scopes as the app
// defines them now, so an edit of a scope takes effect at once on the
// instance that saved it and within models.StateCacheTTL on the others.
func tokenRules(c *fiber.Ctx, store *models.Store, at *models.AccessToken) ([]models.ScopeRule, error) {
	scopes, err := store.ScopesOfApp(c.UserContext(), at.App.ID)
	if err != nil {
		return nil, err
	}
	return models.ScopeRules(scopes, at.Scopes), nil
}

// tokenFromHeader returns the token of an "Authorization: Bearer ..."
// value (RFC 6750 §2.1); the scheme is case-insensitive.
func tokenFromHeader(header string) (string, bool) {
	scheme, token, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// requestPath returns the path that scope regexes are matched against:
// the request path without its query string, percent-decoded once, as
// models.CanonicalRESTPath expects, and without the trailing slashes that
// Fiber's routing ignores. It reports false for a path that does not
// decode.
func requestPath(raw string) (string, bool) {
	path, err := url.PathUnescape(raw)
	if err != nil {
		return "", false
	}
	if trimmed := strings.TrimRight(path, "/"); trimmed != "" {
		path = trimmed
	}
	return path, true
}

func withReason(f Failure, reason string) Failure {
	f.Reason = reason
	return f
}

// Reject responses a bearer request with f: the status, a Bearer challenge
// (RFC 6750 §3) and the JSON envelope with success false. It removes any
// cookie set so far and logs the reason at Info.
func Reject(c *fiber.Ctx, log *slog.Logger, f Failure) error {
	middleware.Logger(c, log).LogAttrs(c.UserContext(), slog.LevelInfo, "bearer request rejected",
		slog.String("path", c.Path()),
		slog.Int("status", f.Status),
		slog.String("error", f.Code),
		slog.String("reason", f.Reason),
	)

	challenge := `Bearer realm="` + Realm + `"`
	if f.Code != "" {
		challenge += `, error="` + f.Code + `"`
	}
	c.Response().Header.Del(fiber.HeaderSetCookie)
	c.Set(fiber.HeaderWWWAuthenticate, challenge)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderPragma, "no-cache")
	return c.Status(f.Status).JSON(middleware.Envelope{
		Success:   false,
		Message:   f.Message,
		RequestID: middleware.GetRequestID(c),
	})
}
