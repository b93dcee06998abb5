package handlers

// All returns every surface of the server in registration order.
func All() []Surface {
	return []Surface{}
}
