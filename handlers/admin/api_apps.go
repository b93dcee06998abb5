package admin

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
)

// AppJSON is an app as the admin API returns it.
type AppJSON struct {
	ID                   string           `json:"id"`
	AppKey               string           `json:"app_key"`
	Template             string           `json:"template"`
	Name                 string           `json:"name"`
	Description          string           `json:"description"`
	ApplicationID        string           `json:"application_id,omitempty"`
	TokenURL             string           `json:"token_url,omitempty"`
	Enabled              bool             `json:"enabled"`
	TokenType            string           `json:"token_type,omitempty"`
	AllowClientCreds     bool             `json:"allow_client_creds"`
	AllowAuthCode        bool             `json:"allow_auth_code"`
	AllowImplicit        bool             `json:"allow_implicit"`
	AllowResourceOwner   bool             `json:"allow_resource_owner"`
	TokenLifetimeSeconds int              `json:"token_lifetime_seconds"`
	LaunchURL            string           `json:"launch_url"`
	FailureURLs          []string         `json:"failure_urls"`
	LaunchMethod         string           `json:"launch_method"`
	AuthProfileID        *string          `json:"auth_profile_id"`
	CreatedAt            time.Time        `json:"created_at"`
	UpdatedAt            time.Time        `json:"updated_at"`
	Scopes               []ScopeJSON      `json:"scopes,omitempty"`
	Permissions          []PermissionJSON `json:"permissions,omitempty"`
}

func (p *portal) appJSON(a *models.App) AppJSON {
	out := AppJSON{
		ID: a.ID, AppKey: a.AppKey, Template: a.Template, Name: a.Name, Description: a.Description,
		ApplicationID: a.AppIDString(), Enabled: a.Enabled, TokenType: a.TokenType,
		AllowClientCreds: a.AllowClientCreds, AllowAuthCode: a.AllowAuthCode, AllowImplicit: a.AllowImplicit,
		AllowResourceOwner: a.AllowResourceOwner, TokenLifetimeSeconds: int(a.TokenLifetime().Seconds()),
		LaunchURL: a.LaunchURL, FailureURLs: a.FailureURLList(), LaunchMethod: a.LaunchMethod,
		AuthProfileID: a.AuthProfileID, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	if out.FailureURLs == nil {
		out.FailureURLs = []string{}
	}
	if a.Template == models.TemplateOAuthClient {
		out.TokenURL = p.tokenURL(a)
	}
	return out
}

// ScopeJSON is a scope definition.
type ScopeJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Regexes     []string `json:"regexes"`
}

func scopeJSON(sc models.Scope) ScopeJSON {
	out := ScopeJSON{ID: sc.ID, Name: sc.Name, Description: sc.Description, Regexes: sc.RegexList()}
	if out.Regexes == nil {
		out.Regexes = []string{}
	}
	return out
}

// PermissionJSON is one principal's rights on an app.
type PermissionJSON struct {
	PrincipalType string `json:"principal_type"`
	PrincipalID   string `json:"principal_id"`
	PrincipalName string `json:"principal_name"`
	Grant         bool   `json:"grant"`
	View          bool   `json:"view"`
	Run           bool   `json:"run"`
}

func (p *portal) apiListApps(c *fiber.Ctx) error {
	apps, err := p.store.ListApps(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]AppJSON, 0, len(apps))
	for i := range apps {
		out = append(out, p.appJSON(&apps[i]))
	}
	return ok(c, fiber.StatusOK, out)
}

// appCreateJSON is the body of POST /api/admin/apps.
type appCreateJSON struct {
	Template      string `json:"template"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	ApplicationID string `json:"application_id"`
}

func (p *portal) apiCreateApp(c *fiber.Ctx) error {
	var in appCreateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	app, err := p.createApp(c.UserContext(), actorOf(c), models.NewApp(in))
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusCreated, p.appJSON(app))
}

func (p *portal) apiGetApp(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	out := p.appJSON(app)
	if out.Scopes, err = p.scopesJSON(c, app); err != nil {
		return err
	}
	if out.Permissions, err = p.permissionsJSON(c, app); err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, out)
}

func (p *portal) apiDeleteApp(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "app.delete", ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name},
		func(tx *models.Store, _ *models.AuditEntry) error { return tx.DeleteApp(c.UserContext(), app.ID) })
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, nil)
}

// appSettingsJSON is the body of PATCH /api/admin/apps/{id}/settings.
// Absent fields are left unchanged.
type appSettingsJSON struct {
	Name          *string `json:"name"`
	Description   *string `json:"description"`
	ApplicationID *string `json:"application_id"`
	Enabled       *bool   `json:"enabled"`
	LaunchURL     *string `json:"launch_url"`
	FailureURLs   *string `json:"failure_urls"`
	LaunchMethod  *string `json:"launch_method"`
}

func (p *portal) apiUpdateAppSettings(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	var in appSettingsJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	return p.apiUpdateApp(c, app, "app.update_settings", func(tx *models.Store) (*models.App, error) {
		return tx.UpdateAppSettings(c.UserContext(), app.ID, models.AppSettings(in))
	})
}

// apiUpdateApp saves an app change in one audited transaction and returns
// the app as stored.
func (p *portal) apiUpdateApp(c *fiber.Ctx, app *models.App, action string, fn func(tx *models.Store) (*models.App, error)) error {
	if err := p.updateAppAudited(c, app, action, fn); err != nil {
		return apiError(c, err)
	}
	updated, err := p.store.AppByID(c.UserContext(), app.ID)
	if err != nil {
		return storeError(err)
	}
	return ok(c, fiber.StatusOK, p.appJSON(updated))
}

// tokensJSON is the body of PUT /api/admin/apps/{id}/tokens. Every field
// is written, and a missing boolean is false.
type tokensJSON struct {
	AllowClientCreds     bool `json:"allow_client_creds"`
	AllowAuthCode        bool `json:"allow_auth_code"`
	AllowImplicit        bool `json:"allow_implicit"`
	AllowResourceOwner   bool `json:"allow_resource_owner"`
	TokenLifetimeSeconds int  `json:"token_lifetime_seconds"`
}

func (p *portal) apiUpdateTokens(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	var in tokensJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	return p.apiUpdateApp(c, app, "app.update_tokens", func(tx *models.Store) (*models.App, error) {
		return tx.UpdateAppTokens(c.UserContext(), app.ID, models.AppTokens{
			AllowClientCreds: in.AllowClientCreds, AllowAuthCode: in.AllowAuthCode, AllowImplicit: in.AllowImplicit,
			AllowResourceOwner: in.AllowResourceOwner, LifetimeSeconds: in.TokenLifetimeSeconds,
		})
	})
}

// policyJSON is the body of PUT /api/admin/apps/{id}/policy. An empty or
// null id clears the profile.
type policyJSON struct {
	AuthProfileID *string `json:"auth_profile_id"`
}

func (p *portal) apiUpdatePolicy(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateWebApp)
	if err != nil {
		return err
	}
	var in policyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	profileID := ""
	if in.AuthProfileID != nil {
		profileID = *in.AuthProfileID
	}
	return p.apiUpdateApp(c, app, "app.update_policy", func(tx *models.Store) (*models.App, error) {
		return tx.SetAppAuthProfile(c.UserContext(), app.ID, profileID)
	})
}

func (p *portal) scopesJSON(c *fiber.Ctx, app *models.App) ([]ScopeJSON, error) {
	scopes, err := p.store.ScopesOfApp(c.UserContext(), app.ID)
	if err != nil {
		return nil, err
	}
	out := make([]ScopeJSON, 0, len(scopes))
	for _, sc := range scopes {
		out = append(out, scopeJSON(sc))
	}
	return out, nil
}

func (p *portal) apiListScopes(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	out, err := p.scopesJSON(c, app)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, out)
}

// scopeBodyJSON is the body of POST and PUT on scopes.
type scopeBodyJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Regexes     []string `json:"regexes"`
}

// apiSaveScope creates a scope (POST) or replaces one (PUT with an id).
func (p *portal) apiSaveScope(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	var in scopeBodyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ctx, scopeID := c.UserContext(), c.Params("scopeID")
	action := "scope.create"
	if scopeID != "" {
		action = "scope.update"
	}
	var saved *models.Scope
	err = p.store.Audited(ctx, actorOf(c), models.AuditEntry{Action: action, ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name},
		func(tx *models.Store, e *models.AuditEntry) error {
			var err error
			input := models.ScopeInput(in)
			if scopeID == "" {
				saved, err = tx.CreateScope(ctx, app.ID, input)
			} else {
				saved, err = tx.UpdateScope(ctx, app.ID, scopeID, input)
			}
			if err == nil {
				e.Details = "scope: " + saved.Name
			}
			return err
		})
	if err != nil {
		return apiError(c, err)
	}
	status := fiber.StatusOK
	if scopeID == "" {
		status = fiber.StatusCreated
	}
	return ok(c, status, scopeJSON(*saved))
}

func (p *portal) apiDeleteScope(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	sc, err := p.store.ScopeByID(ctx, app.ID, c.Params("scopeID"))
	if err != nil {
		return storeError(err)
	}
	err = p.store.Audited(ctx, actorOf(c),
		models.AuditEntry{Action: "scope.delete", ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name, Details: "scope: " + sc.Name},
		func(tx *models.Store, _ *models.AuditEntry) error { return tx.DeleteScope(ctx, app.ID, sc.ID) })
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, nil)
}

// ScopeTestJSON is the result of the scope tester.
type ScopeTestJSON struct {
	Path    string `json:"path"`
	Allowed bool   `json:"allowed"`
	Scope   string `json:"scope,omitempty"`
	Regex   string `json:"regex,omitempty"`
}

func (p *portal) apiTestScopes(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	scopes, err := p.store.ScopesOfApp(c.UserContext(), app.ID)
	if err != nil {
		return err
	}
	res := testScopes(c.Query("path"), scopes)
	return ok(c, fiber.StatusOK, ScopeTestJSON{Path: res.Path, Allowed: res.Matched, Scope: res.Scope, Regex: res.Regex})
}

func (p *portal) permissionsJSON(c *fiber.Ctx, app *models.App) ([]PermissionJSON, error) {
	perms, err := p.store.AppPermissionsOf(c.UserContext(), app.ID)
	if err != nil {
		return nil, err
	}
	out := make([]PermissionJSON, 0, len(perms))
	for _, pe := range perms {
		out = append(out, PermissionJSON{
			PrincipalType: pe.PrincipalType, PrincipalID: pe.PrincipalID, PrincipalName: pe.PrincipalName,
			Grant: pe.CanGrant, View: pe.CanView, Run: pe.CanRun,
		})
	}
	return out, nil
}

func (p *portal) apiListPermissions(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	out, err := p.permissionsJSON(c, app)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, out)
}

// permissionBodyJSON is the body of PUT /api/admin/apps/{id}/permissions.
// A user may be named by principal_id or login_name.
type permissionBodyJSON struct {
	PrincipalType string `json:"principal_type"`
	PrincipalID   string `json:"principal_id"`
	LoginName     string `json:"login_name"`
	Grant         bool   `json:"grant"`
	View          bool   `json:"view"`
	Run           bool   `json:"run"`
}

func (p *portal) apiSetPermission(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	var in permissionBodyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	perm := models.PermissionInput{PrincipalType: in.PrincipalType, PrincipalID: in.PrincipalID, Grant: in.Grant, View: in.View, Run: in.Run}
	if err := p.setPermission(c, app, perm, in.LoginName); err != nil {
		return apiError(c, err)
	}
	out, err := p.permissionsJSON(c, app)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, out)
}

func (p *portal) apiRemovePermission(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	principalType, principalID := c.Params("type"), c.Params("principalID")
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "app.remove_permission", ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name, Details: principalType + " " + principalID},
		func(tx *models.Store, _ *models.AuditEntry) error {
			return tx.RemoveAppPermission(c.UserContext(), app.ID, principalType, principalID)
		})
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, nil)
}
