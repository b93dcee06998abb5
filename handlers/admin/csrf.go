package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// sessionCSRFKey is the session value containing the SHA-256 of the CSRF
// token issued to that session.
const sessionCSRFKey = "csrf_hash"

const localCSRFToken = "admin.csrf_token"

var errCSRFNotBound = errors.New("CSRF token does not belong to this session")

// csrfProtection returns the CSRF middleware chain of the portal and the
// session-authenticated API. Fiber's csrf middleware does the double-submit
// check (form field or header equal to the CSRF cookie). On top of it the
// token must be the one issued to the current portal session, so a token
// from another session, or a cookie planted by someone else, is rejected.
func (p *portal) csrfProtection() []fiber.Handler {
	mw := csrf.New(csrf.Config{
		CookieName:     CSRFCookieName,
		CookiePath:     "/",
		CookieSecure:   p.cfg.SecureCookies(),
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		Expiration:     absoluteTimeout,
		KeyGenerator:   p.newCSRFToken,
		Storage:        csrfTokenVerifier{keys: p.store.Keys},
		Extractor:      p.extractBoundCSRFToken,
		ContextKey:     localCSRFToken,
		ErrorHandler:   p.csrfFailed,
	})
	return []fiber.Handler{p.dropForeignCSRFCookie, mw, p.bindCSRFToken}
}

// dropForeignCSRFCookie removes, on safe requests, a CSRF cookie that was
// not issued to this session, so the csrf middleware issues a fresh token
// instead of adopting it.
func (p *portal) dropForeignCSRFCookie(c *fiber.Ctx) error {
	if !isSafeMethod(c.Method()) {
		return c.Next()
	}
	sess := sessionOf(c)
	cookie := c.Cookies(CSRFCookieName)
	if cookie != "" && (sess == nil || !hashMatches(sess.String(sessionCSRFKey), cookie)) {
		c.Request().Header.DelCookie(CSRFCookieName)
	}
	return c.Next()
}

// bindCSRFToken records the token of a safe request in the session.
func (p *portal) bindCSRFToken(c *fiber.Ctx) error {
	token, _ := c.Locals(localCSRFToken).(string)
	sess := sessionOf(c)
	if token != "" && sess != nil && isSafeMethod(c.Method()) && !hashMatches(sess.String(sessionCSRFKey), token) {
		sess.Values[sessionCSRFKey] = models.HashToken(token)
		markDirty(c)
	}
	return c.Next()
}

// extractBoundCSRFToken reads the token and checks that the session issued
// it. The portal's forms send it in the urlencoded body and scripts in the
// X-CSRF-Token header. The JSON admin API takes only the header. The query
// string is never read, because a token in a URL leaks through logs,
// history and the Referer header.
func (p *portal) extractBoundCSRFToken(c *fiber.Ctx) (string, error) {
	token := c.Get(CSRFHeader)
	if token == "" && !isAPI(c) {
		// PostArgs parses only an application/x-www-form-urlencoded body.
		token = string(c.Request().PostArgs().Peek(CSRFFormField))
	}
	if token == "" {
		return "", csrf.ErrTokenNotFound
	}
	sess := sessionOf(c)
	if sess == nil || !hashMatches(sess.String(sessionCSRFKey), token) {
		return "", errCSRFNotBound
	}
	return token, nil
}

func (p *portal) csrfFailed(c *fiber.Ctx, err error) error {
	p.log.InfoContext(c.UserContext(), "CSRF check failed",
		"request_id", middleware.GetRequestID(c), "path", c.Path(), "reason", err.Error())
	return middleware.NewHTTPError(fiber.StatusForbidden,
		"This form has expired or did not come from this site. Reload the page and try again.", err)
}

func hashMatches(storedHash, token string) bool {
	if storedHash == "" || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(storedHash), []byte(models.HashToken(token))) == 1
}

func isSafeMethod(m string) bool {
	switch m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return true
	}
	return false
}

// newCSRFToken returns a random nonce with its MAC under the server's
// secret key, so every instance sharing the key can verify it.
func (p *portal) newCSRFToken() string {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	mac := p.store.Keys.MAC(models.PurposeCSRF, nonce)[:16]
	enc := base64.RawURLEncoding
	return enc.EncodeToString(nonce) + "." + enc.EncodeToString(mac)
}

// csrfTokenVerifier is the csrf middleware's token storage. It stores
// nothing, because a token is known when its MAC verifies. The session binding in
// extractBoundCSRFToken decides which token a session may use, and the
// session's own timeouts bound its life.
type csrfTokenVerifier struct{ keys *models.Keyring }

func (v csrfTokenVerifier) Get(token string) ([]byte, error) {
	nonceText, macText, ok := strings.Cut(token, ".")
	if !ok {
		return nil, nil
	}
	nonce, nonceErr := base64.RawURLEncoding.DecodeString(nonceText)
	mac, macErr := base64.RawURLEncoding.DecodeString(macText)
	if nonceErr != nil || macErr != nil || len(nonce) != 24 {
		return nil, nil
	}
	if !hmac.Equal(mac, v.keys.MAC(models.PurposeCSRF, nonce)[:16]) {
		return nil, nil
	}
	return []byte{1}, nil
}

func (csrfTokenVerifier) Set(string, []byte, time.Duration) error { return nil }
func (csrfTokenVerifier) Delete(string) error                     { return nil }
func (csrfTokenVerifier) Reset() error                            { return nil }
func (csrfTokenVerifier) Close() error                            { return nil }

// checkOrigin rejects state-changing requests that a browser marks as
// cross-site: a Sec-Fetch-Site other than same-origin or none, or an Origin
// that is neither the configured base URL's nor the request's own.
func (p *portal) checkOrigin(c *fiber.Ctx) error {
	if isSafeMethod(c.Method()) {
		return c.Next()
	}
	if site := c.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return crossSite(site)
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && !p.sameOrigin(c, origin) {
		return crossSite(origin)
	}
	return c.Next()
}

func crossSite(value string) error {
	return middleware.NewHTTPError(fiber.StatusForbidden,
		"Cross-site requests are not allowed here.", errors.New("cross-site request from "+value))
}

func (p *portal) sameOrigin(c *fiber.Ctx, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false
	}
	got := strings.ToLower(u.Scheme + "://" + u.Host)
	if got == strings.ToLower(p.cfg.Origin()) {
		return true
	}
	return got == strings.ToLower(c.Protocol()+"://"+string(c.Request().Host()))
}
