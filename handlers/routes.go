package handlers

import "github.com/portcullis-id/portcullis/handlers/admin"

// All returns every surface of the server in registration order.
func All() []Surface {
	return []Surface{
		admin.Register,
	}
}
