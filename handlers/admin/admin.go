package admin

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/session"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/notify"
)

// Session settings of the admin portal.
const (
	SessionKind       = "admin"
	SessionCookieName = "portcullis_admin"
	CSRFCookieName    = "portcullis_admin_csrf"
	// CSRFFormField and CSRFHeader carry the token of a state change.
	CSRFFormField = "_csrf"
	CSRFHeader    = "X-CSRF-Token"

	idleTimeout     = 30 * time.Minute
	absoluteTimeout = 12 * time.Hour
)

// portal holds what the admin handlers share.
type portal struct {
	store    *models.Store
	log      *slog.Logger
	cfg      deps.Config
	sessions *session.Store
	now      func() time.Time
	// notifier delivers the email and SMS codes of the sign-in challenges.
	notifier *notify.Notifier
	// apiBearer authenticates API requests that carry a bearer token.
	apiBearer fiber.Handler
}

// Register adds the admin portal and the JSON admin API to app.
func Register(app *fiber.App, d deps.Deps) {
	p := &portal{
		store: d.Store,
		log:   d.Log,
		cfg:   d.Config,
		now:   d.Now,
		sessions: session.NewStore(d.Store, session.Options{
			Kind:            SessionKind,
			CookieName:      SessionCookieName,
			IdleTimeout:     idleTimeout,
			AbsoluteTimeout: absoluteTimeout,
			Secure:          d.Config.SecureCookies(),
		}),
	}
	p.notifier = d.Notifier
	if p.notifier == nil {
		p.notifier = notify.Outbox(d.Store, d.Log)
	}
	p.apiBearer = apiBearerWith(d)
	if p.now == nil {
		p.now = func() time.Time { return time.Now().UTC() }
	}
	p.registerPortal(app)
	p.registerAPI(app)
}
