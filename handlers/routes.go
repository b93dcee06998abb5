package handlers

import (
	"github.com/portcullis-id/portcullis/handlers/admin"
	"github.com/portcullis-id/portcullis/handlers/demoapp"
	"github.com/portcullis-id/portcullis/handlers/my"
	"github.com/portcullis-id/portcullis/handlers/oauth"
	"github.com/portcullis-id/portcullis/handlers/run"
	"github.com/portcullis-id/portcullis/handlers/security"
)

// All returns every surface of the server in registration order.
func All() []Surface {
	return []Surface{
		admin.Register,
		oauth.Register,
		security.Register,
		run.Register,
		demoapp.Register,
		my.Register,
	}
}
