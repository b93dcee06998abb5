package admin

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

// signInFailed is the one message for every failed sign-in: unknown user,
// wrong password, disabled, locked, service user or missing right.
const signInFailed = "The login name or password is incorrect, or this account may not sign in to the admin portal."

// maxLoginInputBytes bounds what a sign-in hashes and records.
const maxLoginInputBytes = 1024

type loginForm struct {
	LoginName string `form:"login_name"`
	Password  string `form:"password"`
}

func (p *portal) showLogin(c *fiber.Ctx) error {
	if _, _, err := p.currentAdmin(c); err == nil {
		return c.Redirect("/admin", fiber.StatusSeeOther)
	}
	return render(c, fiber.StatusOK, views.Login(views.LoginPage{CSRF: csrfToken(c), Notice: popFlash(c)}))
}

// signIn checks the password and starts the portal session. Every failure
// takes the same path to the same page with the same status, and an
// unknown login name still costs one password verification, so neither
// the response nor its timing reveals whether the account exists. When the
// portal's authentication profile has challenges, the session waits for
// them in stageMFA and holds no portal right until they pass.
func (p *portal) signIn(c *fiber.Ctx) error {
	var form loginForm
	if err := c.BodyParser(&form); err != nil {
		return middleware.NewHTTPError(fiber.StatusBadRequest, "The sign-in form could not be read.", err)
	}
	form.LoginName = strings.TrimSpace(form.LoginName)
	if len(form.LoginName) > maxLoginInputBytes {
		form.LoginName = form.LoginName[:maxLoginInputBytes]
	}
	ctx := c.UserContext()

	actor := models.Actor{SourceIP: c.IP(), RequestID: middleware.GetRequestID(c), Name: form.LoginName}
	user, reason, err := p.checkCredentials(ctx, actor, form.Password)
	if err != nil {
		return err
	}
	if reason != "" {
		return p.signInFailed(c, actor, user, reason)
	}
	actor.UserID = user.ID

	// The password is a privilege change of its own: the id seen before
	// it is worthless after it, whether MFA follows or not.
	if err := regenerate(c); err != nil {
		return err
	}
	challenges, err := p.store.PortalChallenges(ctx, models.SettingAdminPortalProfile)
	if err != nil {
		return err
	}
	if len(challenges) == 0 {
		return p.finishSignIn(c, actor, user, []string{models.MechPassword})
	}
	st, err := models.NewPortalMFA(user.ID, p.store.Now())
	if err != nil {
		return err
	}
	if err := savePendingMFA(c, st); err != nil {
		return err
	}
	p.log.InfoContext(ctx, "admin password accepted, MFA required", "request_id", actor.RequestID, "user_id", user.ID, "challenges", len(challenges))
	return c.Redirect("/admin/mfa", fiber.StatusSeeOther)
}

// signInFailed audits a failed sign-in and renders the one failure page.
func (p *portal) signInFailed(c *fiber.Ctx, actor models.Actor, user *models.User, reason string) error {
	ctx := c.UserContext()
	entry := models.AuditEntry{Action: "admin.sign_in", ObjectType: "user", ObjectName: actor.Name,
		Outcome: models.OutcomeFailure, Details: "reason: " + reason}
	if user != nil {
		actor.UserID, entry.ObjectID = user.ID, user.ID
	}
	if err := p.store.RecordAudit(ctx, actor, entry); err != nil {
		return err
	}
	p.log.InfoContext(ctx, "admin sign-in failed", "request_id", actor.RequestID, "reason", reason, "remote_ip", actor.SourceIP)
	return render(c, fiber.StatusUnauthorized, views.Login(views.LoginPage{
		CSRF: csrfToken(c), LoginName: actor.Name, Error: signInFailed,
	}))
}

// finishSignIn signs the user in to a session whose id the caller has
// just regenerated, and audits it with the mechanisms used.
func (p *portal) finishSignIn(c *fiber.Ctx, actor models.Actor, user *models.User, amr []string) error {
	sess := sessionOf(c)
	delete(sess.Values, sessionPendingMFA)
	sess.Values["user_id"] = user.ID
	sess.Values[sessionStage] = stageDone
	if user.RequirePasswordChange {
		sess.Values[sessionStage] = stagePasswordChange
	}
	markDirty(c)
	entry := models.AuditEntry{Action: "admin.sign_in", ObjectType: "user", ObjectID: user.ID, ObjectName: user.LoginName,
		Details: "amr: " + strings.Join(amr, " ")}
	if err := p.store.RecordAudit(c.UserContext(), actor, entry); err != nil {
		return err
	}
	p.log.InfoContext(c.UserContext(), "admin signed in", "request_id", actor.RequestID, "user_id", user.ID)
	if user.RequirePasswordChange {
		return c.Redirect("/admin/password", fiber.StatusSeeOther)
	}
	return c.Redirect("/admin", fiber.StatusSeeOther)
}

// checkCredentials returns the user when the password is right and the
// user may use the portal, or a reason for the audit log otherwise. The
// user is returned with most reasons, for the audit event; it is nil for
// an unknown login name. Wrong passwords count towards the per-name
// lockout that the user portal shares.
func (p *portal) checkCredentials(ctx context.Context, actor models.Actor, password string) (*models.User, string, error) {
	if len(password) > maxLoginInputBytes {
		password = password[:maxLoginInputBytes]
	}
	check, err := p.store.CheckSignInPassword(ctx, models.PasswordSignIn{LoginName: actor.Name, Password: password, Actor: actor})
	if err != nil {
		return nil, "", err
	}
	user := check.User
	if check.Reason != "" {
		return user, check.Reason, nil
	}
	rights, err := p.store.RightsOf(ctx, user)
	if err != nil {
		return nil, "", err
	}
	switch {
	case user.Disabled:
		return user, "disabled", nil
	case user.IsLockedAt(p.now()):
		return user, "locked", nil
	case user.IsServiceUser:
		return user, "service_user", nil
	case !canUsePortal(user, rights, p.now()):
		return user, "no_portal_right", nil
	}
	return user, "", nil
}

func (p *portal) signOut(c *fiber.Ctx) error {
	if user, _, err := p.currentAdmin(c); err == nil {
		actor := models.Actor{UserID: user.ID, Name: user.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
		err := p.store.RecordAudit(c.UserContext(), actor, models.AuditEntry{
			Action: "admin.sign_out", ObjectType: "user", ObjectID: user.ID, ObjectName: user.LoginName,
		})
		if err != nil {
			return err
		}
	}
	if err := destroySession(c); err != nil {
		return err
	}
	return c.Redirect("/admin/login", fiber.StatusSeeOther)
}

// home sends a signed-in administrator to the first section it may open.
func (p *portal) home(c *fiber.Ctx) error {
	for _, s := range []struct {
		ok  bool
		url string
	}{
		{hasRight(c, models.RightUserManagement), "/admin/users"},
		{hasRight(c, models.RightRoleManagement), "/admin/roles"},
		{hasRight(c, models.RightApplicationManagement), "/admin/webapps"},
		{hasRight(c, models.RightAuditRead), "/admin/audit"},
	} {
		if s.ok {
			return c.Redirect(s.url, fiber.StatusSeeOther)
		}
	}
	return render(c, fiber.StatusOK, views.Welcome(shell(c, "Admin Portal", "")))
}

// pendingPasswordChange returns the user of a session that passed the
// password but must choose a new one before using the portal.
func (p *portal) pendingPasswordChange(c *fiber.Ctx) (*models.User, error) {
	sess := sessionOf(c)
	if sess == nil || sess.UserID() == "" || sess.String(sessionStage) != stagePasswordChange {
		return nil, errNotSignedIn
	}
	user, err := p.store.UserByID(c.UserContext(), sess.UserID())
	if err != nil {
		return nil, errNotSignedIn
	}
	return user, nil
}

func (p *portal) showChangePassword(c *fiber.Ctx) error {
	user, err := p.pendingPasswordChange(c)
	if err != nil {
		return c.Redirect("/admin/login", fiber.StatusSeeOther)
	}
	return render(c, fiber.StatusOK, views.ChangePassword(views.ChangePasswordPage{CSRF: csrfToken(c), LoginName: user.LoginName}))
}

// changePassword sets the new password chosen at sign-in, which ends the
// user's other sessions, and finishes the sign-in with a fresh session id.
func (p *portal) changePassword(c *fiber.Ctx) error {
	user, err := p.pendingPasswordChange(c)
	if err != nil {
		return c.Redirect("/admin/login", fiber.StatusSeeOther)
	}
	password, confirm := c.FormValue("password"), c.FormValue("password_confirm")
	page := views.ChangePasswordPage{CSRF: csrfToken(c), LoginName: user.LoginName}
	if password != confirm {
		page.Error = "The two passwords differ. Type the same password twice."
		return render(c, fiber.StatusUnprocessableEntity, views.ChangePassword(page))
	}
	if ok, _ := p.store.Hasher.Verify(user.PasswordHash, password); ok {
		page.Error = "Choose a password different from the current one."
		return render(c, fiber.StatusUnprocessableEntity, views.ChangePassword(page))
	}
	actor := models.Actor{UserID: user.ID, Name: user.LoginName, SourceIP: c.IP(), RequestID: middleware.GetRequestID(c)}
	if err := p.store.ResetPassword(c.UserContext(), actor, user.ID, password, false); err != nil {
		verrs, ok := models.AsValidationErrors(err)
		if !ok {
			return storeError(err)
		}
		page.Error = verrs.ByField()["password"]
		return render(c, fiber.StatusUnprocessableEntity, views.ChangePassword(page))
	}
	if err := regenerate(c); err != nil {
		return err
	}
	sessionOf(c).Values[sessionStage] = stageDone
	return c.Redirect("/admin", fiber.StatusSeeOther)
}
