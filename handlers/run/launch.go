package run

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/run"
)

// AssertionTTL is the lifetime of a launch assertion: long enough for the
// browser to reach the app, short enough that a leaked one is soon useless.
const AssertionTTL = 2 * time.Minute

// Error codes added to the failure URL as error=...
const (
	errorMFAFailed = "mfa_failed"
	errorExpired   = "expired"
	errorLocked    = "locked"
	// errorNoPolicy: the app has no authentication profile, so it cannot
	// launch until an administrator chooses one.
	errorNoPolicy = "no_policy"
	// errorNotEnrolled: the user has none of the mechanisms a challenge
	// allows.
	errorNotEnrolled = "not_enrolled"
)

// Messages of the failure pages shown when there is no failure URL.
const (
	msgExpired     = "This sign-in has expired. Go back to the app and start again."
	msgMFAFailed   = "Too many wrong answers. Go back to the app and start again."
	msgFinished    = "This sign-in is already complete. Go back to the app to open it again."
	msgLaunchError = "The app could not be opened. Try again, and tell your administrator if it keeps happening."
)

// launch signs the assertion, marks the session launched and sends the
// browser to the app with a 303 redirect carrying ?assertion=..., or with
// a form that POSTs it when the app's launch method is form_post.
func (h *handler) launch(c *fiber.Ctx, ms *mfaSession, st *models.MFAState) error {
	ctx := c.UserContext()
	app := st.App
	location, err := models.ValidateRedirect(app.LaunchURL, models.RedirectPolicy{LaunchURL: app.LaunchURL})
	if err != nil {
		return middleware.NewHTTPError(fiber.StatusInternalServerError, msgLaunchError, err)
	}

	now := h.store.Now()
	claims := jwt.MapClaims{
		"iss":         h.cfg.Issuer(),
		"aud":         app.AppKey,
		"sub":         st.User.ID,
		"unique_name": st.User.LoginName,
		"amr":         st.Session.AMRValues(),
		"auth_time":   st.AuthTime(now).Unix(),
		"iat":         now.Unix(),
		"exp":         now.Add(AssertionTTL).Unix(),
		"jti":         uuid.NewString(),
	}
	assertion, err := h.store.SignJWT(ctx, claims, nil)
	if err != nil {
		return err
	}
	if _, err := h.store.FinishMFASession(ctx, ms.token); err != nil {
		return h.fail(c, ms, st, err)
	}
	h.endSession(c)

	h.logger(c).InfoContext(ctx, "app launched", "user_id", st.User.ID, "app_key", app.AppKey,
		"jti", claims["jti"], "launch_method", app.LaunchMethod)
	h.audit(c, st, "mfa.launch", models.OutcomeSuccess)
	if app.LaunchMethod == models.LaunchFormPost {
		return render(c, fiber.StatusOK, views.LaunchForm(views.LaunchFormPage{AppName: app.Name, Action: location, Assertion: assertion}))
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(models.AppendQuery(location, "assertion", assertion), fiber.StatusSeeOther)
}

// fail ends the flow after err: a redirect to the session's failure URL
// with an error code when there is one, otherwise a failure page with a
// status that fits. st may be nil, for example without a session cookie.
func (h *handler) fail(c *fiber.Ctx, ms *mfaSession, st *models.MFAState, err error) error {
	var herr *middleware.HTTPError
	switch {
	case errors.As(err, &herr):
		return err
	case errors.Is(err, errNoSession), errors.Is(err, models.ErrNotFound):
		return noSession(err)
	}

	code, status, msg := errorMFAFailed, fiber.StatusForbidden, msgMFAFailed
	switch {
	case errors.Is(err, models.ErrMFAExpired):
		code, status, msg = errorExpired, fiber.StatusUnauthorized, msgExpired
	case errors.Is(err, models.ErrUserLocked):
		code, status, msg = errorLocked, fiber.StatusForbidden, msgUserLocked
	case errors.Is(err, models.ErrUserDisabled):
		msg = msgUserBlocked
	case errors.Is(err, models.ErrMFAFinished):
		code, status, msg = errorExpired, fiber.StatusGone, msgFinished
	case errors.Is(err, models.ErrNoAuthProfile):
		code, msg = errorNoPolicy, msgNoPolicy
	case errors.Is(err, models.ErrMFAFailed):
	default:
		return err
	}

	if st != nil {
		h.logger(c).InfoContext(c.UserContext(), "mfa session ended without launch",
			"user_id", st.User.ID, "app_key", st.App.AppKey, "reason", err.Error())
		if !errors.Is(err, models.ErrMFAFinished) {
			h.audit(c, st, "mfa.fail", models.OutcomeFailure)
		}
	}
	if ms != nil {
		h.endSession(c)
	}
	if st != nil && st.Session.FailureURL != "" && !errors.Is(err, models.ErrMFAFinished) {
		return redirectFailure(c, st.Session.FailureURL, code)
	}
	return middleware.NewHTTPError(status, msg, err)
}

// redirectFailure sends the browser to a failure URL that
// models.ValidateRedirect has accepted, with error=code added.
func redirectFailure(c *fiber.Ctx, failureURL, code string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(models.AppendQuery(failureURL, "error", code), fiber.StatusSeeOther)
}

// audit records the outcome of an MFA session. A failure to record is
// logged and does not change the response.
func (h *handler) audit(c *fiber.Ctx, st *models.MFAState, action, outcome string) {
	actor := models.Actor{UserID: st.User.ID, Name: st.User.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	entry := models.AuditEntry{Action: action, ObjectType: "app", ObjectID: st.App.ID, ObjectName: st.App.Name, Outcome: outcome,
		Details: "amr: " + st.Session.AMR}
	if skipped := st.PassedThroughChallenges(); len(skipped) > 0 {
		entry.Details += fmt.Sprintf("; passed through challenges %v", skipped)
	}
	if err := h.store.RecordAudit(c.UserContext(), actor, entry); err != nil {
		h.logger(c).ErrorContext(c.UserContext(), "recording the audit event failed", "action", action, "error", err)
	}
}
