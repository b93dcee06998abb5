package run

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"log/slog"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/handlers/session"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/notify"
	views "github.com/portcullis-id/portcullis/views/run"
)

// Session settings of the MFA flow.
const (
	SessionKind = "mfa"
	// CookieName is the MFA session cookie. It is HttpOnly and
	// SameSite=Lax, and Secure when the base URL is https.
	CookieName = "portcullis_mfa"
	// keyMFAToken is the session value naming the models.MFASession.
	keyMFAToken = "mfa_token"
)

type handler struct {
	cfg      deps.Config
	store    *models.Store
	log      *slog.Logger
	sessions *session.Store
	notifier *notify.Notifier
}

// Register adds /run and the MFA pages to app.
func Register(app *fiber.App, d deps.Deps) {
	h := &handler{
		cfg:   d.Config,
		store: d.Store,
		log:   d.Log,
		sessions: session.NewStore(d.Store, session.Options{
			Kind:       SessionKind,
			CookieName: CookieName,
			// The cookie outlives the MFA session, so an expired MFA
			// session is still found and can use its failure URL.
			IdleTimeout:     2 * models.MFASessionTTL,
			AbsoluteTimeout: 2 * models.MFASessionTTL,
			Secure:          d.Config.SecureCookies(),
		}),
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
	web   *session.Session
	token string
}

var errNoSession = errors.New("no MFA session cookie")

// loadSession returns the request's MFA session, or errNoSession.
func (h *handler) loadSession(c *fiber.Ctx) (*mfaSession, error) {
	web, err := h.sessions.Load(c)
	if err != nil {
		return nil, err
	}
	token := web.String(keyMFAToken)
	if web.IsNew || token == "" {
		return nil, errNoSession
	}
	return &mfaSession{web: web, token: token}, nil
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
