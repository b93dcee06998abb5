package run

import (
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// Public messages of /run. One message covers every bad token, so the page
// does not tell an unknown token from a used one.
const (
	msgBadToken    = "This sign-in link is not valid or has already been used. Go back to the app and start again."
	msgUnknownApp  = "There is no app to launch with this App Key. Check the link you followed."
	msgNotAllowed  = "You are not allowed to use this app. Ask your administrator for access."
	msgTwoTokens   = "The request carries the token twice. Send it either in the Authorization header or in the icbt form field."
	msgHeadRun     = "HEAD is not allowed on /run, because opening /run uses up the sign-in token. Use GET or POST."
	msgBadForm     = "The form data of the request is malformed. Post the icbt field as application/x-www-form-urlencoded or multipart/form-data."
	msgUserLocked  = "Your account is locked for a while after too many wrong answers. Try again later or ask your administrator."
	msgUserBlocked = "Your account cannot sign in. Ask your administrator for help."
	msgNoPolicy    = "This app has no authentication policy, so it cannot be opened. An administrator must choose an authentication profile on the app's Policy page."
)

// postValue returns a field of a urlencoded POST body. Unlike
// c.FormValue it never reads the query string, so a value cannot be
// slipped into a link.
func postValue(c *fiber.Ctx, name string) string {
	return string(c.Request().PostArgs().Peek(name))
}

// start handles GET and POST /run: it checks the App Key and the icbt
// token, starts the MFA session and sends the browser to its first
// challenge, or launches the app when the profile asks for none.
func (h *handler) start(c *fiber.Ctx) error {
	// Fiber routes HEAD to the GET handler. A HEAD must not use up the
	// token, because link checkers and prefetchers send it on their own.
	if c.Method() == fiber.MethodHead {
		c.Set(fiber.HeaderAllow, "GET, POST")
		return middleware.NewHTTPError(fiber.StatusMethodNotAllowed, msgHeadRun, errors.New("HEAD /run"))
	}

	ctx := c.UserContext()
	app, err := h.store.AppByAppKey(ctx, c.Query("appkey"))
	if errors.Is(err, models.ErrNotFound) || (err == nil && !isLaunchable(app)) {
		return middleware.NewHTTPError(fiber.StatusNotFound, msgUnknownApp, err)
	}
	if err != nil {
		return err
	}

	failureURL := h.failureURL(c, app)
	icbt, err := icbtFrom(c)
	if err != nil {
		return err
	}

	// The browser's earlier MFA session, if any, ends with this start, so
	// one browser runs one flow at a time.
	start := models.MFAStart{Token: icbt, App: app, FailureURL: failureURL, SourceIP: c.IP(), Replaces: c.Cookies(CookieName)}
	mfaToken, st, err := h.store.StartMFASession(ctx, start)
	if err != nil {
		return h.startFailed(c, app, failureURL, err)
	}
	// A fresh token for every start: a cookie set before /run, by anyone,
	// is never carried into the new MFA session.
	h.setSessionCookie(c, mfaToken)
	h.logger(c).InfoContext(ctx, "mfa session started", "user_id", st.User.ID, "app_key", app.AppKey, "challenges", len(st.Challenges))

	if st.Done() {
		return h.launch(c, &mfaSession{token: mfaToken}, st)
	}
	return c.Redirect("/run/challenge", fiber.StatusSeeOther)
}

// isLaunchable reports whether /run can start the app: an enabled web
// application with a launch URL.
func isLaunchable(app *models.App) bool {
	return app.Template == models.TemplateWebApp && app.Enabled && app.LaunchURL != ""
}

// failureURL returns the failureRedirectUrl of the request when
// models.ValidateRedirect allows it for the app, or "". A rejected value
// is logged with the reason only, never echoed.
func (h *handler) failureURL(c *fiber.Ctx, app *models.App) string {
	values := c.Context().QueryArgs().PeekMulti("failureRedirectUrl")
	if len(values) == 0 {
		return ""
	}
	if len(values) > 1 {
		h.logger(c).WarnContext(c.UserContext(), "failureRedirectUrl ignored: given more than once", "app_key", app.AppKey)
		return ""
	}
	policy := models.RedirectPolicy{AllowedURLs: app.FailureURLList(), LaunchURL: app.LaunchURL}
	location, err := models.ValidateRedirect(string(values[0]), policy)
	if err != nil {
		h.logger(c).WarnContext(c.UserContext(), "failureRedirectUrl ignored", "app_key", app.AppKey, "reason", err.Error())
		return ""
	}
	return location
}

// icbtFrom returns the icbt token from "Authorization: Bearer" or from the
// POSTed form field icbt. RFC 6750 §2 allows one method per request, so a
// request with both is rejected.
func icbtFrom(c *fiber.Ctx) (string, error) {
	header := strings.TrimSpace(c.Get(fiber.HeaderAuthorization))
	var fromHeader string
	if header != "" {
		scheme, token, found := strings.Cut(header, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			return "", badToken(c, errors.New("authorization header is not a Bearer token"))
		}
		fromHeader = strings.TrimSpace(token)
	}

	var fromForm string
	if c.Method() == fiber.MethodPost {
		var err error
		if fromForm, err = postedToken(c); err != nil {
			return "", err
		}
	}
	switch {
	case fromHeader != "" && fromForm != "":
		return "", middleware.NewHTTPError(fiber.StatusBadRequest, msgTwoTokens, errors.New("icbt in both header and form"))
	case fromHeader != "":
		return fromHeader, nil
	case fromForm != "":
		return fromForm, nil
	}
	return "", badToken(c, errors.New("no icbt token in the request"))
}

// postedToken returns the icbt field of a POST body, urlencoded or
// multipart/form-data. The app sets DisablePreParseMultipartForm, so
// PostArgs holds only urlencoded fields and a multipart body is parsed
// here.
func postedToken(c *fiber.Ctx) (string, error) {
	mediaType, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mediaType != fiber.MIMEMultipartForm {
		return postValue(c, "icbt"), nil
	}
	form, err := c.MultipartForm()
	if err != nil {
		return "", middleware.NewHTTPError(fiber.StatusBadRequest, msgBadForm, fmt.Errorf("parse multipart body: %w", err))
	}
	if values := form.Value["icbt"]; len(values) > 0 {
		return values[0], nil
	}
	return "", nil
}

// badToken returns a 401 error with the RFC 6750 §3 challenge header.
func badToken(c *fiber.Ctx, cause error) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
	return middleware.NewHTTPError(fiber.StatusUnauthorized, msgBadToken, cause)
}

// startFailed maps the errors of StartMFASession. An expired or used
// token, a locked or disabled user and an app without an authentication
// profile go to the failure URL when there is one.
func (h *handler) startFailed(c *fiber.Ctx, app *models.App, failureURL string, err error) error {
	log := h.logger(c).With("app_key", app.AppKey)
	switch {
	case errors.Is(err, models.ErrNotFound):
		log.InfoContext(c.UserContext(), "icbt token rejected: unknown")
		return badToken(c, err)
	case errors.Is(err, models.ErrTokenExpired), errors.Is(err, models.ErrTokenUsed):
		log.InfoContext(c.UserContext(), "icbt token rejected", "reason", err.Error())
		if failureURL != "" {
			return redirectFailure(c, failureURL, errorExpired)
		}
		return badToken(c, err)
	case errors.Is(err, models.ErrUserLocked):
		log.InfoContext(c.UserContext(), "mfa start rejected: user locked")
		if failureURL != "" {
			return redirectFailure(c, failureURL, errorLocked)
		}
		return middleware.NewHTTPError(fiber.StatusForbidden, msgUserLocked, err)
	case errors.Is(err, models.ErrUserDisabled):
		log.InfoContext(c.UserContext(), "mfa start rejected: user disabled")
		if failureURL != "" {
			return redirectFailure(c, failureURL, errorMFAFailed)
		}
		return middleware.NewHTTPError(fiber.StatusForbidden, msgUserBlocked, err)
	case errors.Is(err, models.ErrNoAuthProfile):
		log.WarnContext(c.UserContext(), "mfa start rejected: the app has no authentication profile")
		if failureURL != "" {
			return redirectFailure(c, failureURL, errorNoPolicy)
		}
		return middleware.NewHTTPError(fiber.StatusForbidden, msgNoPolicy, err)
	case errors.Is(err, models.ErrForbidden):
		log.InfoContext(c.UserContext(), "mfa start rejected: user may not run the app")
		return middleware.NewHTTPError(fiber.StatusForbidden, msgNotAllowed, err)
	}
	return err
}
