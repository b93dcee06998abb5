package my

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/handlers/session"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/notify"
	views "github.com/portcullis-id/portcullis/views/my"
)

// Session settings of the user portal.
const (
	SessionKind = "user_portal"
	// CookieName is the portal session cookie: HttpOnly, SameSite=Lax,
	// and Secure when the base URL is https.
	CookieName      = "portcullis_my"
	idleTimeout     = 30 * time.Minute
	absoluteTimeout = 12 * time.Hour
	// FreshChallengeWindow is how long an answered second factor, at
	// sign-in or in a fresh challenge, allows adding, replacing and
	// removing factors.
	FreshChallengeWindow = 5 * time.Minute
)

// Session values.
const (
	keyCSRF       = "csrf"
	keyStepUpAt   = "stepup_at"
	keyStepUp     = "stepup_mfa"
	keyPendingMFA = "pending_mfa"
	keyTOTPSecret = "totp_pending"
	keyNext       = "next"
	keyNotice     = "notice"
)

type handler struct {
	cfg      deps.Config
	store    *models.Store
	log      *slog.Logger
	sessions *session.Store
	notifier *notify.Notifier
}

// Register adds the user portal to app.
func Register(app *fiber.App, d deps.Deps) {
	h := &handler{
		cfg:   d.Config,
		store: d.Store,
		log:   d.Log,
		sessions: session.NewStore(d.Store, session.Options{
			Kind:            SessionKind,
			CookieName:      CookieName,
			IdleTimeout:     idleTimeout,
			AbsoluteTimeout: absoluteTimeout,
			Secure:          d.Config.SecureCookies(),
		}),
		notifier: d.Notifier,
	}
	if h.notifier == nil {
		h.notifier = notify.Outbox(d.Store, d.Log)
	}

	app.Get("/my/login", h.showLogin)
	app.Post("/my/login", middleware.SignInRateLimit(d.Store.Settings.SignInRateLimit, d.Store.Settings.SignInRateWindow), h.withCSRF(h.login))
	app.Get("/my/mfa", h.showMFA)
	app.Post("/my/mfa/choose", h.withCSRF(h.chooseMFA))
	app.Post("/my/mfa/answer", h.withCSRF(h.answerMFA))
	app.Post("/my/mfa/resend", h.withCSRF(h.resendMFA))
	app.Post("/my/logout", h.withCSRF(h.logout))

	app.Get("/my", h.signedIn(h.dashboard))
	app.Get("/my/verify", h.signedIn(h.showStepUp))
	app.Post("/my/verify/choose", h.withCSRF(h.signedIn(h.chooseStepUp)))
	app.Post("/my/verify/answer", h.withCSRF(h.signedIn(h.answerStepUp)))
	app.Post("/my/verify/resend", h.withCSRF(h.signedIn(h.resendStepUp)))
	app.Get("/my/totp", h.signedIn(h.showTOTP))
	app.Post("/my/totp", h.withCSRF(h.signedIn(h.enrollTOTP)))
	app.Get("/my/question", h.signedIn(h.showQuestion))
	app.Post("/my/question", h.withCSRF(h.signedIn(h.saveQuestion)))
	for _, kind := range []string{contactEmail, contactMobile} {
		app.Get("/my/"+kind, h.signedIn(h.showContact(kind)))
		app.Post("/my/"+kind, h.withCSRF(h.signedIn(h.startContact(kind))))
		app.Post("/my/"+kind+"/resend", h.withCSRF(h.signedIn(h.resendContact(kind))))
		app.Post("/my/"+kind+"/confirm", h.withCSRF(h.signedIn(h.confirmContact(kind))))
	}
	for _, key := range []string{factorTOTP, contactEmail, contactMobile, factorQuestion} {
		app.Post("/my/"+key+"/remove", h.withCSRF(h.signedIn(h.removeFactor(key))))
	}
}

const localSession = "my.session"

// sessionOf returns the session that withCSRF or signedIn loaded.
func sessionOf(c *fiber.Ctx) *session.Session {
	s, _ := c.Locals(localSession).(*session.Session)
	return s
}

// load returns the request's portal session, loading it once. A new
// session gets a CSRF token at once.
func (h *handler) load(c *fiber.Ctx) (*session.Session, error) {
	if s := sessionOf(c); s != nil {
		return s, nil
	}
	s, err := h.sessions.Load(c)
	if err != nil {
		return nil, err
	}
	if s.String(keyCSRF) == "" {
		if err := setCSRF(s); err != nil {
			return nil, err
		}
	}
	c.Locals(localSession, s)
	return s, nil
}

func setCSRF(s *session.Session) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	s.Values[keyCSRF] = base64.RawURLEncoding.EncodeToString(b)
	return nil
}

// regenerate gives the session a new id and a new CSRF token before it
// gains privilege.
func regenerate(s *session.Session) error {
	if err := s.Regenerate(); err != nil {
		return err
	}
	return setCSRF(s)
}

// withCSRF rejects a POST whose _csrf field does not equal the token of
// the request's existing session.
func (h *handler) withCSRF(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s, err := h.load(c)
		if err != nil {
			return err
		}
		posted := string(c.Request().PostArgs().Peek(views.CSRFField))
		want := s.String(keyCSRF)
		if s.IsNew || posted == "" || subtle.ConstantTimeCompare([]byte(posted), []byte(want)) != 1 {
			return middleware.NewHTTPError(fiber.StatusForbidden,
				"This form has expired or did not come from this site. Go back, reload the page and try again.",
				errors.New("user portal CSRF token missing or wrong"))
		}
		return next(c)
	}
}

const localUser = "my.user"

// userOf returns the signed-in user that signedIn loaded.
func userOf(c *fiber.Ctx) *models.User {
	u, _ := c.Locals(localUser).(*models.User)
	return u
}

// signedIn runs next for a signed-in user who may still sign in, and
// sends everyone else to the sign-in page.
func (h *handler) signedIn(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s, err := h.load(c)
		if err != nil {
			return err
		}
		id := s.UserID()
		if id == "" {
			return c.Redirect("/my/login", fiber.StatusSeeOther)
		}
		user, err := h.store.UserByID(c.UserContext(), id)
		if errors.Is(err, models.ErrNotFound) || (err == nil && !mayUsePortal(user, h.store.Now())) {
			if err := s.Destroy(); err != nil {
				return err
			}
			return c.Redirect("/my/login", fiber.StatusSeeOther)
		}
		if err != nil {
			return err
		}
		c.Locals(localUser, user)
		return next(c)
	}
}

// mayUsePortal reports whether the user may be signed in to the portal.
func mayUsePortal(u *models.User, now time.Time) bool {
	return !u.Disabled && !u.IsLockedAt(now) && !u.IsServiceUser
}

// render writes a page with the status after saving the session, so a
// new CSRF token or flash reaches the store. The page is rendered into a
// buffer first, so a rendering error becomes an error page.
func (h *handler) render(c *fiber.Ctx, status int, page templ.Component) error {
	if s := sessionOf(c); s != nil {
		if err := s.Save(); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := page.Render(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

// redirect saves the session and sends the browser to a path of the
// portal.
func (h *handler) redirect(c *fiber.Ctx, path string) error {
	if s := sessionOf(c); s != nil {
		if err := s.Save(); err != nil {
			return err
		}
	}
	return c.Redirect(path, fiber.StatusSeeOther)
}

// redirectWithNotice shows notice on the next page.
func (h *handler) redirectWithNotice(c *fiber.Ctx, path, notice string) error {
	sessionOf(c).Values[keyNotice] = notice
	return h.redirect(c, path)
}

func (h *handler) logger(c *fiber.Ctx) *slog.Logger {
	return middleware.Logger(c, h.log)
}

// audit records a change the user made to their own account.
func (h *handler) audit(c *fiber.Ctx, u *models.User, action string, outcome string) error {
	actor := models.Actor{UserID: u.ID, Name: u.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	return h.store.RecordAudit(c.UserContext(), actor, models.AuditEntry{
		Action: action, ObjectType: "user", ObjectID: u.ID, ObjectName: u.LoginName, Outcome: outcome,
	})
}

func csrfOf(c *fiber.Ctx) string { return sessionOf(c).String(keyCSRF) }

func postValue(c *fiber.Ctx, name string) string {
	return string(c.Request().PostArgs().Peek(name))
}
