package admin

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// registerPortal adds the server-rendered portal. Every state change is a
// POST, so a GET on an action URL finds no route (404).
func (p *portal) registerPortal(app *fiber.App) {
	public := slices.Concat([]fiber.Handler{p.withSession, p.checkOrigin}, p.csrfProtection())
	limit := middleware.SignInRateLimit(p.store.Settings.SignInRateLimit, p.store.Settings.SignInRateWindow)
	app.Get("/admin/login", slices.Concat(public, []fiber.Handler{p.showLogin})...)
	app.Post("/admin/login", slices.Concat([]fiber.Handler{limit}, public, []fiber.Handler{p.signIn})...)
	app.Get("/admin/mfa", slices.Concat(public, []fiber.Handler{p.showMFA})...)
	app.Post("/admin/mfa/choose", slices.Concat(public, []fiber.Handler{p.chooseMFA})...)
	app.Post("/admin/mfa/answer", slices.Concat(public, []fiber.Handler{p.answerMFA})...)
	app.Post("/admin/mfa/resend", slices.Concat(public, []fiber.Handler{p.resendMFA})...)
	app.Post("/admin/logout", slices.Concat(public, []fiber.Handler{p.signOut})...)
	app.Get("/admin/password", slices.Concat(public, []fiber.Handler{p.showChangePassword})...)
	app.Post("/admin/password", slices.Concat(public, []fiber.Handler{p.changePassword})...)

	g := app.Group("/admin", slices.Concat(public, []fiber.Handler{p.requireSignIn})...)
	g.Get("/", p.home)

	users := g.Group("/users", requireRight(models.RightUserManagement))
	users.Get("/", p.listUsers)
	users.Get("/new", p.newUser)
	users.Post("/", p.createUser)
	users.Get("/:id", p.showUser)
	users.Post("/:id", p.updateUser)
	users.Post("/:id/password", p.resetPassword)
	users.Post("/:id/lock", p.setLocked(true))
	users.Post("/:id/unlock", p.setLocked(false))
	users.Post("/:id/disable", p.setDisabled(true))
	users.Post("/:id/enable", p.setDisabled(false))
	users.Post("/:id/reset-mfa", p.resetMFA)
	users.Post("/:id/delete", p.deleteUser)

	roles := g.Group("/roles", requireRight(models.RightRoleManagement))
	roles.Get("/", p.listRoles)
	roles.Get("/new", p.newRole)
	roles.Post("/", p.createRole)
	roles.Get("/:id", p.showRole)
	roles.Post("/:id", p.updateRole)
	roles.Post("/:id/delete", p.deleteRole)
	roles.Post("/:id/members", p.addMember)
	roles.Post("/:id/members/remove", p.removeMember)

	apps := g.Group("/webapps", requireRight(models.RightApplicationManagement))
	apps.Get("/", p.listApps)
	apps.Get("/new", p.showCatalog)
	apps.Post("/", p.addApp)
	apps.Get("/:id", p.openApp)
	apps.Post("/:id/delete", p.deleteApp)
	apps.Get("/:id/settings", p.showSettings)
	apps.Post("/:id/settings", p.saveSettings)
	apps.Get("/:id/description", p.showDescription)
	apps.Post("/:id/description", p.saveDescription)
	apps.Get("/:id/tokens", p.showTokens)
	apps.Post("/:id/tokens", p.saveTokens)
	apps.Get("/:id/scope", p.showScope)
	apps.Post("/:id/scope", p.saveScope)
	apps.Post("/:id/scope/:scopeID", p.saveScope)
	apps.Post("/:id/scope/:scopeID/delete", p.deleteScope)
	apps.Get("/:id/permissions", p.showPermissions)
	apps.Post("/:id/permissions", p.savePermission)
	apps.Post("/:id/permissions/remove", p.removePermission)
	apps.Get("/:id/policy", p.showPolicy)
	apps.Post("/:id/policy", p.savePolicy)

	profiles := g.Group("/profiles", requireRight(models.RightApplicationManagement))
	profiles.Get("/", p.listProfiles)
	profiles.Get("/new", p.newProfile)
	profiles.Post("/", p.saveProfile)
	profiles.Get("/:id", p.showProfile)
	profiles.Post("/:id", p.saveProfile)
	profiles.Post("/:id/delete", p.deleteProfile)

	// The portal profiles guard every administrator's sign-in, and the
	// outbox holds one-time codes, so both are for System Administrators.
	g.Get("/settings/portal", requireSysAdmin, p.showPortalSettings)
	g.Post("/settings/portal", requireSysAdmin, p.savePortalSettings)
	g.Get("/outbox", requireSysAdmin, p.showOutbox)

	g.Get("/audit", requireRight(models.RightAuditRead), p.showAudit)
}
