package admin

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

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
	c.Set("Referrer-Policy", "same-origin")
	return c.Status(status).Send(buf.Bytes())
}

func csrfToken(c *fiber.Ctx) string {
	token, _ := c.Locals(localCSRFToken).(string)
	return token
}

// shell returns the frame of a signed-in page.
func shell(c *fiber.Ctx, title, section string) views.Shell {
	s := views.Shell{
		Title:   title,
		Section: section,
		CSRF:    csrfToken(c),
		Flash:   popFlash(c),
		Nav: views.NavRights{
			Users:    hasRight(c, models.RightUserManagement),
			Roles:    hasRight(c, models.RightRoleManagement),
			Apps:     hasRight(c, models.RightApplicationManagement),
			Settings: isSysAdmin(c),
			Outbox:   isSysAdmin(c),
			Audit:    hasRight(c, models.RightAuditRead),
		},
	}
	if u := adminOf(c); u != nil {
		s.UserName = u.LoginName
		if u.DisplayName != "" {
			s.UserName = u.DisplayName + " (" + u.LoginName + ")"
		}
	}
	return s
}

// redirectWithFlash sends the browser to url after a successful change
// and shows msg on the next page.
func redirectWithFlash(c *fiber.Ctx, url, msg string) error {
	setFlash(c, msg)
	return c.Redirect(url, fiber.StatusSeeOther)
}
