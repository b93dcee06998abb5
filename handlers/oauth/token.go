package oauth

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-id/portcullis/models"
)

const grantClientCredentials = "client_credentials"

// tokenResponse is the successful response of RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token serves the client credentials grant (RFC 6749 §4.4).
func (h *handler) token(c *fiber.Ctx) error {
	log := h.requestLog(c)

	app, oerr, err := h.appFromPath(c)
	if err != nil {
		return err
	}
	if oerr != nil {
		return writeError(c, log, oerr)
	}

	f, oerr := parseForm(c)
	if oerr != nil {
		return writeError(c, log, oerr)
	}

	switch f.get("grant_type") {
	case grantClientCredentials:
	case "":
		return writeError(c, log, invalidRequest("the grant_type parameter is missing; send grant_type=client_credentials"))
	default:
		return writeError(c, log, unsupportedGrantType("the grant type is not supported; this server issues tokens for grant_type=client_credentials only"))
	}

	creds, oerr := readClientCredentials(c, f)
	clientAttr := slog.String("client_id", truncateForLog(creds.clientID))
	if oerr != nil {
		return writeError(c, log, oerr, clientAttr)
	}
	client, oerr, err := h.authenticate(c, app, creds)
	if err != nil {
		return err
	}
	if oerr != nil {
		return writeError(c, log, oerr, clientAttr)
	}

	if !app.AllowClientCreds {
		return writeError(c, log, unauthorizedClient("the app does not allow the client credentials grant; allow Client Creds on its Tokens page"), clientAttr)
	}

	defined, err := h.store.ScopesOfApp(c.UserContext(), app.ID)
	if err != nil {
		return err
	}
	scopes, oerr := grantScopes(f.get("scope"), defined)
	if oerr != nil {
		return writeError(c, log, oerr, clientAttr)
	}

	resp, jti, err := h.issue(c, app, client, scopes)
	if err != nil {
		return err
	}
	log.LogAttrs(c.UserContext(), slog.LevelInfo, "access token issued",
		clientAttr,
		slog.String("user_id", client.ID),
		slog.String("scope", resp.Scope),
		slog.String("jti", jti),
		slog.Int64("expires_in", resp.ExpiresIn),
	)
	noStore(c)
	return c.JSON(resp)
}

// issue signs an access token for the client on the app. Its claims are
// iss, aud (the App Key), sub (the client's user id), unique_name (its
// login name), scope, iat, nbf, exp and jti. Its header carries app_id,
// the Application ID.
func (h *handler) issue(c *fiber.Ctx, app *models.App, client *models.User, scopes []string) (tokenResponse, string, error) {
	lifetime := min(app.TokenLifetime(), models.MaxTokenLifetimeSeconds*time.Second)
	issuedAt := h.now().Unix()
	expiresIn := int64(lifetime / time.Second)
	jti := models.NewID()
	scope := strings.Join(scopes, " ")

	claims := jwt.MapClaims{
		"iss":         h.cfg.Issuer(),
		"aud":         app.AppKey,
		"sub":         client.ID,
		"unique_name": client.LoginName,
		"scope":       scope,
		"iat":         issuedAt,
		"nbf":         issuedAt,
		"exp":         issuedAt + expiresIn,
		"jti":         jti,
	}
	signed, err := h.store.SignJWT(c.UserContext(), claims, map[string]any{"app_id": app.AppIDString()})
	if err != nil {
		return tokenResponse{}, "", err
	}
	return tokenResponse{AccessToken: signed, TokenType: "Bearer", ExpiresIn: expiresIn, Scope: scope}, jti, nil
}
