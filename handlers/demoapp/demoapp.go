// Package demoapp serves a stand-in for a launched web application, so
// the on-demand MFA flow can be tried end to end without writing one:
//
//	GET|POST /demo/app     verifies the launch assertion (query or form
//	                       field "assertion") and shows its claims
//	GET      /demo/failed  shows the error code of a failed sign-in
//
// The pages are always registered, because `portcullis demo` points its
// web application at them. They hand out nothing: they only display the
// claims of a valid assertion. The one state they keep is the jti of each
// assertion shown, until its exp, because an app must reject a replayed
// assertion (see docs/launch-assertion.md).
package demoapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/run"
)

// Paths of the demo pages.
const (
	AppPath    = "/demo/app"
	FailedPath = "/demo/failed"
)

type handler struct {
	cfg   deps.Config
	store *models.Store
	log   *slog.Logger
}

// Register adds the demo pages to app.
func Register(app *fiber.App, d deps.Deps) {
	h := &handler{cfg: d.Config, store: d.Store, log: d.Log}
	app.Get(AppPath, h.showApp)
	app.Post(AppPath, h.showApp)
	app.Get(FailedPath, h.showFailed)
}

// Messages of the demo app page.
const (
	msgNoAssertion      = "No assertion: open this page through /run."
	msgInvalidAssertion = "The assertion is not valid: it is expired, altered, or meant for another app."
	msgUsedAssertion    = "This assertion was already used. An assertion opens the app once: open the app again through /run."
)

// showApp verifies the assertion as a real app would. The RS256 signature
// must match a key of the JWKS, iss must equal the server's issuer, and
// exp must lie ahead. aud must be the App Key of an app that launches
// this page, and the jti must not have been shown before.
func (h *handler) showApp(c *fiber.Ctx) error {
	assertion := c.Query("assertion")
	if c.Method() == fiber.MethodPost {
		assertion = string(c.Request().PostArgs().Peek("assertion"))
	}
	if assertion == "" {
		return render(c, fiber.StatusBadRequest, views.DemoApp(views.DemoAppPage{Error: msgNoAssertion}))
	}

	ctx := c.UserContext()
	log := middleware.Logger(c, h.log)
	claims, err := h.store.VerifyJWT(ctx, assertion, h.cfg.Issuer())
	if err == nil {
		err = h.checkAudience(ctx, claims)
	}
	if err == nil {
		err = h.consumeJTI(ctx, claims)
	}
	switch {
	case errors.Is(err, models.ErrTokenUsed):
		log.InfoContext(ctx, "demo app rejected a replayed assertion", "jti", claims["jti"])
		return render(c, fiber.StatusUnauthorized, views.DemoApp(views.DemoAppPage{Error: msgUsedAssertion}))
	case err != nil:
		log.InfoContext(ctx, "demo app rejected an assertion", "error", err)
		return render(c, fiber.StatusUnauthorized, views.DemoApp(views.DemoAppPage{Error: msgInvalidAssertion}))
	}
	return render(c, fiber.StatusOK, views.DemoApp(views.DemoAppPage{Verified: true, Claims: formatClaims(claims)}))
}

// consumeJTI records the assertion's jti until its exp and returns
// models.ErrTokenUsed when the assertion was shown before.
func (h *handler) consumeJTI(ctx context.Context, claims jwt.MapClaims) error {
	jti, _ := claims["jti"].(string)
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return errors.New("assertion has no valid exp")
	}
	return h.store.ConsumeAssertionJTI(ctx, jti, exp.Time)
}

// checkAudience requires aud to be the App Key of an app whose launch URL
// is this page, as an app checks that an assertion was made for it.
func (h *handler) checkAudience(ctx context.Context, claims jwt.MapClaims) error {
	aud, err := claims.GetAudience()
	if err != nil || len(aud) != 1 {
		return errors.New("assertion must have exactly one audience")
	}
	app, err := h.store.AppByAppKey(ctx, aud[0])
	if err != nil {
		return fmt.Errorf("audience is not a known App Key: %w", err)
	}
	launch, err := url.Parse(app.LaunchURL)
	if err != nil || launch.Path != AppPath {
		return errors.New("the audience's app does not launch the demo page")
	}
	return nil
}

// formatClaims returns the claims sorted by name, with times in RFC 3339.
func formatClaims(claims jwt.MapClaims) []views.Claim {
	var out []views.Claim
	for name, value := range claims {
		text := ""
		switch v := value.(type) {
		case string:
			text = v
		case float64:
			text = fmt.Sprintf("%.0f", v)
			if slices.Contains([]string{"exp", "iat", "nbf", "auth_time"}, name) {
				text += " (" + time.Unix(int64(v), 0).UTC().Format(time.RFC3339) + ")"
			}
		default:
			raw, _ := json.Marshal(v)
			text = string(raw)
		}
		out = append(out, views.Claim{Name: name, Value: text})
	}
	slices.SortFunc(out, func(a, b views.Claim) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// failureDescriptions explains the error codes /run adds to a failure URL.
var failureDescriptions = map[string]string{
	"mfa_failed":   "A challenge was answered wrongly too often, or the account cannot sign in.",
	"expired":      "The sign-in link or the MFA session expired, or the link was already used.",
	"locked":       "The account is locked for a while after too many wrong answers.",
	"no_policy":    "The app has no authentication policy. An administrator must choose an authentication profile on its Policy page.",
	"not_enrolled": "The account has none of the methods a challenge of the app asks for. Set one up at /my.",
}

// showFailed shows the error code of a failed sign-in. Only known codes
// are displayed; anything else shows as "unknown".
func (h *handler) showFailed(c *fiber.Ctx) error {
	code := c.Query("error")
	desc, ok := failureDescriptions[code]
	if !ok {
		code, desc = "unknown", "The error code is missing or not one this page knows."
	}
	return render(c, fiber.StatusOK, views.DemoFailed(views.DemoFailedPage{Code: code, Description: desc}))
}

func render(c *fiber.Ctx, status int, page templ.Component) error {
	var buf bytes.Buffer
	if err := page.Render(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}
