package admin

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

func scopeInput(c *fiber.Ctx) models.ScopeInput {
	return models.ScopeInput{
		Name:        c.FormValue("name"),
		Description: c.FormValue("description"),
		Regexes:     strings.Split(strings.ReplaceAll(c.FormValue("regexes"), "\r\n", "\n"), "\n"),
	}
}

func scopeForm(sc models.Scope) views.ScopeForm {
	return views.ScopeForm{ID: sc.ID, Name: sc.Name, Description: sc.Description, Regexes: sc.Regexes}
}

// testScopes runs the tester with models.MatchScopes, the function the
// bearer-token check uses, so the page shows what the API will decide.
func testScopes(path string, scopes []models.Scope) views.ScopeTest {
	t := views.ScopeTest{Path: path}
	if strings.TrimSpace(path) == "" {
		return t
	}
	t.Ran = true
	if m, ok := models.MatchScopes(strings.TrimSpace(path), models.ScopeRules(scopes, nil)); ok {
		t.Matched, t.Scope, t.Regex = true, m.Scope, m.Regex
	}
	return t
}

// scopePage builds the Scope tab. edited, when set, replaces the stored
// values of the scope with that id ("" for the Add form) with the ones
// just posted and their errors.
func (p *portal) scopePage(c *fiber.Ctx, app *models.App, edited *views.ScopeForm) (views.ScopePage, error) {
	scopes, err := p.store.ScopesOfApp(c.UserContext(), app.ID)
	if err != nil {
		return views.ScopePage{}, err
	}
	d := views.ScopePage{
		Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "scope"),
		Test: testScopes(c.Query("test_path"), scopes),
	}
	for _, sc := range scopes {
		form := scopeForm(sc)
		if edited != nil && edited.ID == sc.ID {
			form = *edited
		}
		d.Scopes = append(d.Scopes, form)
	}
	if edited != nil && edited.ID == "" {
		d.New = *edited
	}
	return d, nil
}

func (p *portal) showScope(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	d, err := p.scopePage(c, app, nil)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Scope(d))
}

// saveScope creates a scope (scopeID "") or updates one, in one audited
// transaction, and shows the parser's message next to a bad regex.
func (p *portal) saveScope(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	scopeID := c.Params("scopeID")
	in := scopeInput(c)
	action := "scope.create"
	if scopeID != "" {
		action = "scope.update"
	}
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: action, ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name},
		func(tx *models.Store, e *models.AuditEntry) error {
			var sc *models.Scope
			var err error
			if scopeID == "" {
				sc, err = tx.CreateScope(c.UserContext(), app.ID, in)
			} else {
				sc, err = tx.UpdateScope(c.UserContext(), app.ID, scopeID, in)
			}
			if err == nil {
				e.Details = "scope: " + sc.Name + "; regexes: " + strings.ReplaceAll(sc.Regexes, "\n", " ")
			}
			return err
		})
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		edited := &views.ScopeForm{ID: scopeID, Name: in.Name, Description: in.Description, Regexes: strings.Join(in.Regexes, "\n"), Errors: errs}
		d, err := p.scopePage(c, app, edited)
		if err != nil {
			return err
		}
		return render(c, fiber.StatusUnprocessableEntity, views.Scope(d))
	}
	return redirectWithFlash(c, appURL(app, "scope"), "Scope saved.")
}

func (p *portal) deleteScope(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	sc, err := p.store.ScopeByID(c.UserContext(), app.ID, c.Params("scopeID"))
	if err != nil {
		return storeError(err)
	}
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "scope.delete", ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name, Details: "scope: " + sc.Name},
		func(tx *models.Store, _ *models.AuditEntry) error {
			return tx.DeleteScope(c.UserContext(), app.ID, sc.ID)
		})
	if err != nil {
		return storeError(err)
	}
	return redirectWithFlash(c, appURL(app, "scope"), "Scope "+sc.Name+" deleted.")
}

func (p *portal) permissionsPage(c *fiber.Ctx, app *models.App, msg string) (views.PermissionsPage, error) {
	ctx := c.UserContext()
	perms, err := p.store.AppPermissionsOf(ctx, app.ID)
	if err != nil {
		return views.PermissionsPage{}, err
	}
	roles, err := p.store.ListRoles(ctx)
	if err != nil {
		return views.PermissionsPage{}, err
	}
	d := views.PermissionsPage{Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "permissions"), Error: msg}
	for _, pe := range perms {
		d.Rows = append(d.Rows, views.PermissionRow{
			Type: pe.PrincipalType, ID: pe.PrincipalID, Name: pe.PrincipalName,
			Grant: pe.CanGrant, View: pe.CanView, Run: pe.CanRun,
		})
	}
	for _, r := range roles {
		d.RoleChoices = append(d.RoleChoices, views.Option{Value: r.ID, Label: r.Name})
	}
	return d, nil
}

func (p *portal) showPermissions(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	d, err := p.permissionsPage(c, app, "")
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Permissions(d))
}

// setPermission adds or replaces one principal's rights on an app in one
// audited transaction. Users may be named by login name.
func (p *portal) setPermission(c *fiber.Ctx, app *models.App, in models.PermissionInput, loginName string) error {
	ctx := c.UserContext()
	if in.PrincipalType == models.PrincipalUser && in.PrincipalID == "" {
		id, err := p.resolveMember(ctx, memberInput{Type: models.PrincipalUser, LoginName: loginName})
		if err != nil {
			return err
		}
		in.PrincipalID = id
	}
	details := in.PrincipalType + " " + in.PrincipalID + " grant=" + boolText(in.Grant) + " view=" + boolText(in.View) + " run=" + boolText(in.Run)
	return p.store.Audited(ctx, actorOf(c),
		models.AuditEntry{Action: "app.set_permission", ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name, Details: details},
		func(tx *models.Store, _ *models.AuditEntry) error {
			return tx.SetAppPermissionAs(ctx, adminOf(c), app.ID, in)
		})
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (p *portal) savePermission(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	in := models.PermissionInput{
		PrincipalType: c.FormValue("principal_type"),
		PrincipalID:   c.FormValue("principal_id"),
		Grant:         formBool(c, "grant"),
		View:          formBool(c, "view"),
		Run:           formBool(c, "run"),
	}
	return p.permissionResult(c, app, p.setPermission(c, app, in, c.FormValue("login_name")), "Permissions saved.")
}

func (p *portal) removePermission(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	principalType, principalID := c.FormValue("principal_type"), c.FormValue("principal_id")
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "app.remove_permission", ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name, Details: principalType + " " + principalID},
		func(tx *models.Store, _ *models.AuditEntry) error {
			return tx.RemoveAppPermission(c.UserContext(), app.ID, principalType, principalID)
		})
	return p.permissionResult(c, app, err, "Entry removed.")
}

func (p *portal) permissionResult(c *fiber.Ctx, app *models.App, err error, done string) error {
	if err == nil {
		return redirectWithFlash(c, appURL(app, "permissions"), done)
	}
	verrs, ok := models.AsValidationErrors(err)
	if !ok {
		return storeError(err)
	}
	d, err := p.permissionsPage(c, app, verrs[0].Message)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusUnprocessableEntity, views.Permissions(d))
}
