package admin

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
)

// registerPortal adds the server-rendered portal. Every state change is a
// POST, so a GET on an action URL finds no route (404).
func (p *portal) registerPortal(app *fiber.App) {
	public := slices.Concat([]fiber.Handler{p.withSession, p.checkOrigin}, p.csrfProtection())
	app.Get("/admin/login", slices.Concat(public, []fiber.Handler{p.showLogin})...)
	app.Post("/admin/login", slices.Concat(public, []fiber.Handler{p.signIn})...)
	app.Post("/admin/logout", slices.Concat(public, []fiber.Handler{p.signOut})...)

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
}
