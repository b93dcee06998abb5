package handlers

import (
	"github.com/portcullis-id/portcullis/handlers/admin"
	"github.com/portcullis-id/portcullis/handlers/demoapp"
	"github.com/portcullis-id/portcullis/handlers/run"
)

// All returns every surface of the server in registration order.
func All() []Surface {
	return []Surface{
		admin.Register,
		run.Register,
		demoapp.Register,
	}
}
