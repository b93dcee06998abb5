package run

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"log/slog"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/notify"
	views "github.com/portcullis-id/portcullis/views/run"
)

// CookieName is the MFA session cookie. Its value is the MFA session
// token, which the database keeps only as a hash, so the MFA session row
// is the browser's whole server-side state during the flow. It is
// HttpOnly and SameSite=Lax, and Secure when the base URL is https.
const CookieName = "portcullis_mfa"

// cookieMaxAge is the cookie's lifetime. It outlives the MFA session, so
// an expired MFA session is still found and can use its failure URL.
const cookieMaxAge = 2 * models.MFASessionTTL

type handler struct {
	cfg      deps.Config
	store    *models.Store
	log      *slog.Logger
	notifier *notify.Notifier
}

// Register adds /run and the MFA pages to app.
func Register(app *fiber.App, d deps.Deps) {
	h := &handler{
		cfg:      d.Config,
		store:    d.Store,
		log:      d.Log,
		notifier: d.Notifier,
	}
	if h.notifier == nil {
		h.notifier = notify.Outbox(d.Store, d.Log)
	}

	app.Get("/run", h.start)
	app.Post("/run", h.start)
	app.Get("/run/challenge", h.showChallenge)
	app.Post("/run/choose", h.choose)
	app.Post("/run/answer", h.answer)
	app.Post("/run/resend", h.resend)
}

// csrfFor derives the CSRF token of an MFA session from its token, so a
// form posted with another session's token never matches.
func (h *handler) csrfFor(mfaToken string) string {
	return base64.RawURLEncoding.EncodeToString(h.store.Keys.MAC(models.PurposeCSRF, []byte("run:"+mfaToken)))
}

// mfaSession is the MFA session named by the request's cookie.
type mfaSession struct {
	token string
}

var errNoSession = errors.New("no MFA session cookie")

// loadSession returns the request's MFA session, or errNoSession. A
// cookie that names no session is found out by the store's lookup.
func (h *handler) loadSession(c *fiber.Ctx) (*mfaSession, error) {
	token := c.Cookies(CookieName)
	if token == "" {
		return nil, errNoSession
	}
	return &mfaSession{token: token}, nil
}

// setSessionCookie hands the browser the token of a new MFA session. The
// cookie survives an error response, because the icbt token it was
// exchanged for is already used up.
func (h *handler) setSessionCookie(c *fiber.Ctx, token string) {
	h.writeCookie(c, token, int(cookieMaxAge.Seconds()))
}

// endSession clears the MFA session cookie once the flow has ended.
func (h *handler) endSession(c *fiber.Ctx) {
	h.writeCookie(c, "", -1)
}

func (h *handler) writeCookie(c *fiber.Ctx, value string, maxAge int) {
	cookie := &fiber.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   h.cfg.SecureCookies(),
		HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode,
	}
	if maxAge < 0 {
		cookie.Expires = time.Unix(0, 0)
	}
	c.Cookie(cookie)
	middleware.KeepCookieOnError(c, CookieName)
}

// checkCSRF compares the posted token with the session's in constant time.
func (h *handler) checkCSRF(c *fiber.Ctx, ms *mfaSession) error {
	posted := postValue(c, views.CSRFField)
	if posted == "" || !hmac.Equal([]byte(posted), []byte(h.csrfFor(ms.token))) {
		return middleware.NewHTTPError(fiber.StatusForbidden,
			"This form has expired or did not come from this sign-in. Go back to the app and start again.",
			errors.New("MFA form CSRF token missing or wrong"))
	}
	return nil
}

// render writes a page with the status. The page is rendered into a
// buffer first, so a rendering error becomes an error page instead of a
// half-written 200.
func render(c *fiber.Ctx, status int, page templ.Component) error {
	var buf bytes.Buffer
	if err := page.Render(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

// logger returns the logger with the request id attached.
func (h *handler) logger(c *fiber.Ctx) *slog.Logger {
	return middleware.Logger(c, h.log)
}
