package admin

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/bearer"
	"github.com/portcullis-id/portcullis/handlers/deps"
)

// apiBearerWith returns the middleware that authenticates requests with
// an Authorization header by bearer access token: the token must be
// valid and one of its scopes must allow the request path. Requests
// without the header continue to the session checks.
func apiBearerWith(d deps.Deps) fiber.Handler {
	require := bearer.Require(d)
	return func(c *fiber.Ctx) error {
		if strings.TrimSpace(c.Get(fiber.HeaderAuthorization)) == "" {
			return c.Next()
		}
		c.Locals(localViaBearer, true)
		return require(c)
	}
}

// admitBearerClient admits the client user of a verified access token
// with the administrative rights of its roles.
func (p *portal) admitBearerClient(c *fiber.Ctx) error {
	principal := bearer.PrincipalOf(c)
	if principal == nil {
		return bearer.Reject(c, p.log, bearer.InsufficientRight("An access token is required.", "no bearer principal"))
	}
	client := principal.Client()
	rights, err := p.store.RightsOf(c.UserContext(), client)
	if err != nil {
		return err
	}
	return p.admit(c, client, rights)
}
