package admin

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// formBool reads a checkbox: ticked boxes post "true" (or "on", the
// browser default); an unticked box posts nothing and reads as false.
func formBool(c *fiber.Ctx, name string) bool {
	switch strings.ToLower(c.FormValue(name)) {
	case "true", "on", "1", "yes":
		return true
	}
	return false
}

// formValues returns every value posted for name, such as the ticked
// boxes of a group.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	if form, err := c.MultipartForm(); err == nil && form != nil {
		return append(out, form.Value[name]...)
	}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == name {
			out = append(out, string(v))
		}
	})
	return out
}

// queryInt reads a positive integer query parameter, or def.
func queryInt(c *fiber.Ctx, name string, def int) int {
	n, err := strconv.Atoi(c.Query(name))
	if err != nil || n < 1 {
		return def
	}
	return n
}

// storeError maps the store's sentinel errors to HTTP errors. Validation
// errors are handled by the callers, which show them in the form.
func storeError(err error) error {
	var status int
	var public string
	var denied *models.DeniedError
	switch {
	case errors.Is(err, models.ErrNotFound):
		status, public = fiber.StatusNotFound, "The page you asked for does not exist."
	case errors.As(err, &denied):
		status, public = fiber.StatusForbidden, denied.Reason
	case errors.Is(err, models.ErrBuiltInRole):
		status, public = fiber.StatusConflict, "Built-in roles cannot be deleted."
	case errors.Is(err, models.ErrForbidden):
		status, public = fiber.StatusForbidden, "You are not allowed to do this."
	default:
		return err
	}
	return middleware.NewHTTPError(status, public, err)
}

// formErrors splits a store error into field errors for the form, or
// returns it as an HTTP error.
func formErrors(err error) (map[string]string, error) {
	if verrs, ok := models.AsValidationErrors(err); ok {
		return verrs.ByField(), nil
	}
	return nil, storeError(err)
}
