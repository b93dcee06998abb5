// Package deps holds what every HTTP surface needs: configuration, the
// store and the logger. Each surface's package registers its own routes
// with a Deps value; handlers.New wires them into one Fiber app.
package deps

import (
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/notify"
)

// Config is the HTTP-facing configuration.
type Config struct {
	// BaseURL is the public URL of the server, without a trailing slash.
	// It is the token issuer (with a trailing slash) and the origin of links.
	BaseURL string
	// BodyLimit is the maximum request body size in bytes.
	BodyLimit    int
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// TrustedProxies lists proxy addresses or CIDRs whose forwarded headers
	// name the client address. Empty means the peer address is the client.
	TrustedProxies []string
	// Version is the build version shown in /healthz.
	Version string
	// DevMode enables the /demo pages and the mail outbox hint.
	DevMode bool
}

// Issuer returns the token issuer: the base URL with a trailing slash.
func (c Config) Issuer() string { return strings.TrimRight(c.BaseURL, "/") + "/" }

// SecureCookies reports whether cookies get the Secure attribute, which is
// the case when the server is reached over https.
func (c Config) SecureCookies() bool {
	u, err := url.Parse(c.BaseURL)
	return err == nil && u.Scheme == "https"
}

// Origin returns the scheme://host[:port] of the base URL.
func (c Config) Origin() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return c.BaseURL
	}
	return u.Scheme + "://" + u.Host
}

// Deps is passed to every surface's Register function.
type Deps struct {
	Config Config
	Store  *models.Store
	Log    *slog.Logger
	// Notifier delivers email and SMS codes. Nil keeps them in the outbox.
	Notifier *notify.Notifier
	// Now is the clock; tests replace it.
	Now func() time.Time
}
