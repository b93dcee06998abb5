package admin

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/handlers/session"
	"github.com/portcullis-id/portcullis/models"
)

const (
	localSession   = "admin.session"
	localDirty     = "admin.session_dirty"
	localDestroyed = "admin.session_destroyed"
	localUser      = "admin.user"
	localRights    = "admin.rights"
	localSysAdmin  = "admin.sysadmin"
	localViaBearer = "admin.via_bearer"
)

// Session values of the portal.
const (
	// sessionStage is "" before sign-in, stageMFA after the password when
	// the portal's authentication profile asks for more, and stageDone
	// once signed in.
	sessionStage = "stage"
	sessionFlash = "flash"

	stageMFA            = "mfa"
	stagePasswordChange = "password_change"
	stageDone           = "done"
)

func sessionOf(c *fiber.Ctx) *session.Session {
	s, _ := c.Locals(localSession).(*session.Session)
	return s
}

func markDirty(c *fiber.Ctx) { c.Locals(localDirty, true) }

// withSession loads the portal session before the handler and saves it
// after, which also extends its idle timeout. A session that is new and
// empty is not saved, so anonymous requests create no rows unless they
// receive a CSRF token.
func (p *portal) withSession(c *fiber.Ctx) error {
	sess, err := p.sessions.Load(c)
	if err != nil {
		return err
	}
	c.Locals(localSession, sess)

	err = c.Next()

	if destroyed, _ := c.Locals(localDestroyed).(bool); destroyed {
		return err
	}
	dirty, _ := c.Locals(localDirty).(bool)
	if dirty || sess.UserID() != "" {
		if saveErr := sess.Save(); saveErr != nil && err == nil {
			return saveErr
		}
	}
	return err
}

// regenerate gives the session a new id, keeping its values, so an id seen
// before a privilege change is worthless after it. The CSRF token is
// reissued too.
func regenerate(c *fiber.Ctx) error {
	sess := sessionOf(c)
	if err := sess.Regenerate(); err != nil {
		return err
	}
	delete(sess.Values, sessionCSRFKey)
	markDirty(c)
	return nil
}

// destroySession ends the session and clears its cookie.
func destroySession(c *fiber.Ctx) error {
	sess := sessionOf(c)
	c.Locals(localDestroyed, true)
	if sess.IsNew && sess.ID == "" {
		return nil
	}
	return sess.Destroy()
}

func setFlash(c *fiber.Ctx, msg string) {
	if sess := sessionOf(c); sess != nil {
		sess.Values[sessionFlash] = msg
		markDirty(c)
	}
}

func popFlash(c *fiber.Ctx) string {
	sess := sessionOf(c)
	if sess == nil {
		return ""
	}
	msg := sess.String(sessionFlash)
	if msg != "" {
		delete(sess.Values, sessionFlash)
		markDirty(c)
	}
	return msg
}

// apiChallenge is the WWW-Authenticate value of the admin API's 401
// responses to requests without credentials.
const apiChallenge = `Bearer realm="portcullis"`

// errNotSignedIn marks a request without a complete sign-in.
var errNotSignedIn = errors.New("not signed in")

// currentAdmin loads the signed-in user of the session and checks that it
// may still use the portal: it exists, is neither disabled, locked nor a
// service user, and holds Admin Portal Login.
func (p *portal) currentAdmin(c *fiber.Ctx) (*models.User, map[string]bool, error) {
	sess := sessionOf(c)
	if sess == nil || sess.UserID() == "" || sess.String(sessionStage) != stageDone {
		return nil, nil, errNotSignedIn
	}
	ctx := c.UserContext()
	user, err := p.store.UserByID(ctx, sess.UserID())
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, errNotSignedIn
	}
	if err != nil {
		return nil, nil, err
	}
	rights, err := p.store.RightsOf(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	if !canUsePortal(user, rights, p.now()) {
		return nil, nil, errNotSignedIn
	}
	return user, rights, nil
}

// canUsePortal reports whether the user may sign in to the admin portal.
func canUsePortal(u *models.User, rights map[string]bool, now time.Time) bool {
	return !u.Disabled && !u.IsServiceUser && !u.IsLockedAt(now) && rights[models.RightAdminPortalLogin]
}

// requireSignIn admits signed-in administrators and sends everyone else
// to the sign-in page (or answers 401 on the API).
func (p *portal) requireSignIn(c *fiber.Ctx) error {
	user, rights, err := p.currentAdmin(c)
	if errors.Is(err, errNotSignedIn) {
		sess := sessionOf(c)
		if sess != nil && sess.UserID() != "" && sess.String(sessionStage) == stageDone {
			// A session whose user may no longer sign in is ended.
			if err := destroySession(c); err != nil {
				return err
			}
		}
		if isAPI(c) {
			// RFC 6750 section 3: a 401 names the scheme that would work.
			c.Set(fiber.HeaderWWWAuthenticate, apiChallenge)
			return middleware.NewHTTPError(fiber.StatusUnauthorized, "Sign in to the admin portal or send a bearer token.", err)
		}
		if isSafeMethod(c.Method()) {
			if sess != nil && sess.String(sessionStage) == stagePasswordChange {
				return c.Redirect("/admin/password", fiber.StatusSeeOther)
			}
			return c.Redirect("/admin/login", fiber.StatusSeeOther)
		}
		return middleware.NewHTTPError(fiber.StatusUnauthorized, "Your session has ended. Sign in again.", err)
	}
	if err != nil {
		return err
	}
	return p.admit(c, user, rights)
}

// admit stores the authenticated user and its rights for the handlers.
func (p *portal) admit(c *fiber.Ctx, user *models.User, rights map[string]bool) error {
	sysAdmin, err := p.store.IsSysAdmin(c.UserContext(), user)
	if err != nil {
		return err
	}
	c.Locals(localUser, user)
	c.Locals(localRights, rights)
	c.Locals(localSysAdmin, sysAdmin)
	return c.Next()
}

// requireRight admits administrators holding the right.
func requireRight(right string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !hasRight(c, right) {
			return middleware.NewHTTPError(fiber.StatusForbidden,
				"You need the "+models.RightLabels[right]+" right for this.", errors.New("missing right "+right))
		}
		return c.Next()
	}
}

// requireSysAdmin admits members of System Administrator.
func requireSysAdmin(c *fiber.Ctx) error {
	if !isSysAdmin(c) {
		return middleware.NewHTTPError(fiber.StatusForbidden,
			"Only members of System Administrator may do this.", errors.New("not a System Administrator"))
	}
	return c.Next()
}

func isSysAdmin(c *fiber.Ctx) bool {
	ok, _ := c.Locals(localSysAdmin).(bool)
	return ok
}

func hasRight(c *fiber.Ctx, right string) bool {
	rights, _ := c.Locals(localRights).(map[string]bool)
	return rights[right]
}

func adminOf(c *fiber.Ctx) *models.User {
	u, _ := c.Locals(localUser).(*models.User)
	return u
}

// actorOf describes the signed-in administrator for audit events.
func actorOf(c *fiber.Ctx) models.Actor {
	a := models.Actor{SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	if u := adminOf(c); u != nil {
		a.UserID, a.Name = u.ID, u.LoginName
	}
	return a
}

func isAPI(c *fiber.Ctx) bool {
	path := c.Path()
	return len(path) >= 5 && path[:5] == "/api/"
}
