package admin

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// registerAPI adds the JSON admin API under /api/admin. A request with an
// Authorization header is authenticated by its bearer access token, and
// any other request by the portal session. Session requests need the CSRF
// token in the X-CSRF-Token header for every state change.
func (p *portal) registerAPI(app *fiber.App) {
	chain := []fiber.Handler{p.apiBearer}
	for _, h := range append([]fiber.Handler{p.withSession, p.checkOrigin}, p.csrfProtection()...) {
		chain = append(chain, unlessBearer(h))
	}
	chain = append(chain, p.requireAPIUser)
	api := app.Group("/api/admin", chain...)

	api.Get("/session", p.apiSession)

	users := api.Group("/users", requireRight(models.RightUserManagement))
	users.Get("/", p.apiListUsers)
	users.Post("/", p.apiCreateUser)
	users.Get("/:id", p.apiGetUser)
	users.Patch("/:id", p.apiUpdateUser)
	users.Delete("/:id", p.apiDeleteUser)
	users.Post("/:id/password", p.apiResetPassword)
	users.Post("/:id/lock", p.apiUserState("lock"))
	users.Post("/:id/unlock", p.apiUserState("unlock"))
	users.Post("/:id/disable", p.apiUserState("disable"))
	users.Post("/:id/enable", p.apiUserState("enable"))
	users.Post("/:id/reset-mfa", p.apiUserState("reset-mfa"))

	roles := api.Group("/roles", requireRight(models.RightRoleManagement))
	roles.Get("/", p.apiListRoles)
	roles.Post("/", p.apiCreateRole)
	roles.Get("/:id", p.apiGetRole)
	roles.Put("/:id", p.apiUpdateRole)
	roles.Delete("/:id", p.apiDeleteRole)
	roles.Post("/:id/members", p.apiAddMember)
	roles.Delete("/:id/members/:type/:memberID", p.apiRemoveMember)

	apps := api.Group("/apps", requireRight(models.RightApplicationManagement))
	apps.Get("/", p.apiListApps)
	apps.Post("/", p.apiCreateApp)
	apps.Get("/:id", p.apiGetApp)
	apps.Delete("/:id", p.apiDeleteApp)
	apps.Patch("/:id/settings", p.apiUpdateAppSettings)
	apps.Put("/:id/tokens", p.apiUpdateTokens)
	apps.Put("/:id/policy", p.apiUpdatePolicy)
	apps.Get("/:id/scopes", p.apiListScopes)
	apps.Post("/:id/scopes", p.apiSaveScope)
	apps.Get("/:id/scopes/test", p.apiTestScopes)
	apps.Put("/:id/scopes/:scopeID", p.apiSaveScope)
	apps.Delete("/:id/scopes/:scopeID", p.apiDeleteScope)
	apps.Get("/:id/permissions", p.apiListPermissions)
	apps.Put("/:id/permissions", p.apiSetPermission)
	apps.Delete("/:id/permissions/:type/:principalID", p.apiRemovePermission)

	profiles := api.Group("/profiles", requireRight(models.RightApplicationManagement))
	profiles.Get("/", p.apiListProfiles)
	profiles.Post("/", p.apiSaveProfile)
	profiles.Get("/:id", p.apiGetProfile)
	profiles.Put("/:id", p.apiSaveProfile)
	profiles.Delete("/:id", p.apiDeleteProfile)

	api.Get("/settings/portal", requireSysAdmin, p.apiGetPortalSettings)
	api.Put("/settings/portal", requireSysAdmin, p.apiPutPortalSettings)
	api.Get("/outbox", requireSysAdmin, p.apiListOutbox)
	api.Get("/audit", requireRight(models.RightAuditRead), p.apiListAudit)
}

func viaBearer(c *fiber.Ctx) bool {
	ok, _ := c.Locals(localViaBearer).(bool)
	return ok
}

func unlessBearer(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if viaBearer(c) {
			return c.Next()
		}
		return h(c)
	}
}

// requireAPIUser admits the bearer token's client or the signed-in
// administrator, with the rights of that user.
func (p *portal) requireAPIUser(c *fiber.Ctx) error {
	if viaBearer(c) {
		return p.admitBearerClient(c)
	}
	return p.requireSignIn(c)
}

// ok sends a successful envelope.
func ok(c *fiber.Ctx, status int, result any) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).JSON(middleware.Envelope{Success: true, Result: result, RequestID: middleware.GetRequestID(c)})
}

// FieldErrorJSON is one validation failure in an error envelope.
type FieldErrorJSON struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// apiError sends validation errors as 422 with every field and message in
// Result.errors, and maps other store errors to their statuses.
func apiError(c *fiber.Ctx, err error) error {
	verrs, isValidation := models.AsValidationErrors(err)
	if !isValidation {
		return storeError(err)
	}
	fields := make([]FieldErrorJSON, 0, len(verrs))
	for _, fe := range verrs {
		fields = append(fields, FieldErrorJSON{Field: fe.Field, Message: fe.Message})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusUnprocessableEntity).JSON(middleware.Envelope{
		Success:   false,
		Message:   "The request has invalid fields: " + verrs.Error(),
		ErrorCode: "validation_failed",
		Result:    map[string]any{"errors": fields},
		RequestID: middleware.GetRequestID(c),
	})
}

// decodeJSON reads a JSON request body into dst.
func decodeJSON(c *fiber.Ctx, dst any) error {
	if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEApplicationJSON) {
		return middleware.NewHTTPError(fiber.StatusUnsupportedMediaType, "Send the request body as application/json.", nil)
	}
	if err := json.Unmarshal(c.Body(), dst); err != nil {
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		msg := "The request body is not valid JSON."
		if errors.As(err, &typeErr) {
			msg = "The field " + typeErr.Field + " has the wrong type; expected " + typeErr.Type.String() + "."
		} else if errors.As(err, &syntax) {
			msg = "The request body is not valid JSON."
		}
		return middleware.NewHTTPError(fiber.StatusBadRequest, msg, err)
	}
	return nil
}

// SessionJSON describes the signed-in administrator.
type SessionJSON struct {
	User      UserJSON `json:"user"`
	Rights    []string `json:"rights"`
	SysAdmin  bool     `json:"system_administrator"`
	CSRFToken string   `json:"csrf_token,omitempty"`
}

func (p *portal) apiSession(c *fiber.Ctx) error {
	out := SessionJSON{User: userJSON(adminOf(c), p.now()), SysAdmin: isSysAdmin(c), CSRFToken: csrfToken(c)}
	for _, r := range models.AllRights {
		if hasRight(c, r) {
			out.Rights = append(out.Rights, r)
		}
	}
	return ok(c, fiber.StatusOK, out)
}
