package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

var templateLabels = map[string]string{
	models.TemplateOAuthClient: "OAuth Client",
	models.TemplateWebApp:      "Web application",
}

func (p *portal) listApps(c *fiber.Ctx) error {
	apps, err := p.store.ListApps(c.UserContext())
	if err != nil {
		return err
	}
	rows := make([]views.AppRow, 0, len(apps))
	for _, a := range apps {
		rows = append(rows, views.AppRow{
			ID: a.ID, Name: a.Name, Type: templateLabels[a.Template], ApplicationID: a.AppIDString(),
			Description: a.Description, Enabled: a.Enabled,
		})
	}
	return render(c, fiber.StatusOK, views.Apps(views.AppsPage{Shell: shell(c, "Web Apps", views.SectionWebApps), Rows: rows}))
}

func (p *portal) showCatalog(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.Catalog(views.CatalogPage{Shell: shell(c, "Add Web App", views.SectionWebApps)}))
}

// defaultApplicationID returns a fresh Application ID for a new OAuth
// Client, which the administrator can change on the Settings tab.
func defaultApplicationID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "oauth-client-" + hex.EncodeToString(b)
}

// createApp adds an app from a template in one audited transaction.
func (p *portal) createApp(ctx context.Context, actor models.Actor, in models.NewApp) (*models.App, error) {
	if in.Name == "" {
		in.Name = templateLabels[in.Template]
	}
	if in.Template == models.TemplateOAuthClient && in.ApplicationID == "" {
		in.ApplicationID = defaultApplicationID()
	}
	var app *models.App
	err := p.store.Audited(ctx, actor, models.AuditEntry{Action: "app.create", ObjectType: "app"},
		func(tx *models.Store, e *models.AuditEntry) error {
			var err error
			app, err = tx.CreateApp(ctx, in)
			if err == nil {
				e.ObjectID, e.ObjectName, e.Details = app.ID, app.Name, "template: "+app.Template
			}
			return err
		})
	return app, err
}

func (p *portal) addApp(c *fiber.Ctx) error {
	app, err := p.createApp(c.UserContext(), actorOf(c), models.NewApp{Template: c.FormValue("template")})
	if err != nil {
		if _, ok := models.AsValidationErrors(err); ok {
			return middleware.NewHTTPError(fiber.StatusBadRequest, "Choose one of the templates in the catalog.", err)
		}
		return err
	}
	return redirectWithFlash(c, appURL(app, firstTab(app)), templateLabels[app.Template]+" added. Set it up below.")
}

func firstTab(app *models.App) string {
	if app.Template == models.TemplateOAuthClient {
		return "settings"
	}
	return "description"
}

func appURL(app *models.App, tab string) string { return "/admin/webapps/" + app.ID + "/" + tab }

func (p *portal) loadApp(c *fiber.Ctx) (*models.App, error) {
	app, err := p.store.AppByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, storeError(err)
	}
	return app, nil
}

// loadAppOf loads the app and answers 404 unless it was made from the
// template, so each tab exists only for its kind of app.
func (p *portal) loadAppOf(c *fiber.Ctx, template string) (*models.App, error) {
	app, err := p.loadApp(c)
	if err != nil {
		return nil, err
	}
	if app.Template != template {
		return nil, fiber.ErrNotFound
	}
	return app, nil
}

func appHeader(app *models.App, tab string) views.AppHeader {
	return views.AppHeader{
		ID: app.ID, Name: app.Name, Template: app.Template, TemplateLabel: templateLabels[app.Template],
		Tab: tab, Enabled: app.Enabled,
	}
}

func (p *portal) openApp(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	return c.Redirect(appURL(app, firstTab(app)), fiber.StatusSeeOther)
}

// updateAppAudited saves app settings in one audited transaction.
func (p *portal) updateAppAudited(c *fiber.Ctx, app *models.App, action string, fn func(tx *models.Store) (*models.App, error)) error {
	return p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: action, ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name},
		func(tx *models.Store, e *models.AuditEntry) error {
			updated, err := fn(tx)
			if err == nil {
				e.ObjectName = updated.Name
			}
			return err
		})
}

// TokenURL returns the token endpoint of an OAuth Client.
func (p *portal) tokenURL(app *models.App) string {
	return strings.TrimRight(p.cfg.BaseURL, "/") + "/oauth2/token/" + app.AppIDString()
}

func (p *portal) showSettings(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	if app.Template == models.TemplateOAuthClient {
		return render(c, fiber.StatusOK, views.OAuthSettings(p.oauthSettingsPage(c, app)))
	}
	return render(c, fiber.StatusOK, views.WebSettings(views.WebSettingsPage{
		Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "settings"),
		LaunchURL: app.LaunchURL, FailureURLs: app.FailureURLs, LaunchMethod: app.LaunchMethod,
	}))
}

func (p *portal) oauthSettingsPage(c *fiber.Ctx, app *models.App) views.OAuthSettingsPage {
	return views.OAuthSettingsPage{
		Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "settings"),
		ApplicationID: app.AppIDString(), Name: app.Name, Description: app.Description, Enabled: app.Enabled,
		TokenURL: p.tokenURL(app),
	}
}

const notSaved = "The changes were not saved. Correct the fields marked below."

func (p *portal) saveSettings(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	var in models.AppSettings
	if app.Template == models.TemplateOAuthClient {
		appID, name, description, enabled := c.FormValue("application_id"), c.FormValue("name"), c.FormValue("description"), formBool(c, "enabled")
		in = models.AppSettings{ApplicationID: &appID, Name: &name, Description: &description, Enabled: &enabled}
	} else {
		launch, failures, method := c.FormValue("launch_url"), c.FormValue("failure_urls"), c.FormValue("launch_method")
		in = models.AppSettings{LaunchURL: &launch, FailureURLs: &failures, LaunchMethod: &method}
	}
	err = p.updateAppAudited(c, app, "app.update_settings", func(tx *models.Store) (*models.App, error) {
		return tx.UpdateAppSettings(c.UserContext(), app.ID, in)
	})
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		if app.Template == models.TemplateOAuthClient {
			d := p.oauthSettingsPage(c, app)
			d.ApplicationID, d.Name, d.Description, d.Enabled = *in.ApplicationID, *in.Name, *in.Description, *in.Enabled
			d.Errors, d.FormError = errs, notSaved
			return render(c, fiber.StatusUnprocessableEntity, views.OAuthSettings(d))
		}
		return render(c, fiber.StatusUnprocessableEntity, views.WebSettings(views.WebSettingsPage{
			Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "settings"),
			LaunchURL: *in.LaunchURL, FailureURLs: *in.FailureURLs, LaunchMethod: *in.LaunchMethod,
			Errors: errs, FormError: notSaved,
		}))
	}
	return redirectWithFlash(c, appURL(app, "settings"), "Settings saved.")
}

func (p *portal) descriptionPage(c *fiber.Ctx, app *models.App) views.DescriptionPage {
	return views.DescriptionPage{
		Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "description"),
		Name: app.Name, Description: app.Description, AppKey: app.AppKey, Enabled: app.Enabled,
		LaunchURL: strings.TrimRight(p.cfg.BaseURL, "/") + "/run?appkey=" + app.AppKey,
	}
}

func (p *portal) showDescription(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateWebApp)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Description(p.descriptionPage(c, app)))
}

func (p *portal) saveDescription(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateWebApp)
	if err != nil {
		return err
	}
	name, description, enabled := c.FormValue("name"), c.FormValue("description"), formBool(c, "enabled")
	err = p.updateAppAudited(c, app, "app.update_description", func(tx *models.Store) (*models.App, error) {
		return tx.UpdateAppSettings(c.UserContext(), app.ID, models.AppSettings{Name: &name, Description: &description, Enabled: &enabled})
	})
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		d := p.descriptionPage(c, app)
		d.Name, d.Description, d.Enabled, d.Errors, d.FormError = name, description, enabled, errs, notSaved
		return render(c, fiber.StatusUnprocessableEntity, views.Description(d))
	}
	return redirectWithFlash(c, appURL(app, "description"), "Description saved.")
}

func tokensPage(c *fiber.Ctx, app *models.App) views.TokensPage {
	return views.TokensPage{
		Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "tokens"),
		TokenType: app.TokenType, AllowClientCreds: app.AllowClientCreds, AllowAuthCode: app.AllowAuthCode,
		AllowImplicit: app.AllowImplicit, AllowResourceOwner: app.AllowResourceOwner,
		LifetimeHours: formatHours(app.TokenLifetime().Seconds()),
	}
}

func formatHours(seconds float64) string {
	return strconv.FormatFloat(seconds/3600, 'f', -1, 64)
}

func (p *portal) showTokens(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Tokens(tokensPage(c, app)))
}

// parseLifetimeHours converts the Tokens form's hours into whole seconds.
func parseLifetimeHours(s string) (int, bool) {
	hours, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(hours) || math.IsInf(hours, 0) || hours <= 0 || hours > 1e6 {
		return 0, false
	}
	return int(math.Round(hours * 3600)), true
}

func (p *portal) saveTokens(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateOAuthClient)
	if err != nil {
		return err
	}
	hoursText := c.FormValue("token_lifetime_hours")
	in := models.AppTokens{
		AllowClientCreds:   formBool(c, "allow_client_creds"),
		AllowAuthCode:      formBool(c, "allow_auth_code"),
		AllowImplicit:      formBool(c, "allow_implicit"),
		AllowResourceOwner: formBool(c, "allow_resource_owner"),
	}
	seconds, ok := parseLifetimeHours(hoursText)
	if ok {
		in.LifetimeSeconds = seconds
		err = p.updateAppAudited(c, app, "app.update_tokens", func(tx *models.Store) (*models.App, error) {
			return tx.UpdateAppTokens(c.UserContext(), app.ID, in)
		})
	} else {
		err = models.ValidationErrors{{Field: "token_lifetime", Message: "Enter the lifetime in hours as a number, such as 5 or 0.5."}}
	}
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		d := tokensPage(c, app)
		d.AllowClientCreds, d.AllowAuthCode, d.AllowImplicit, d.AllowResourceOwner = in.AllowClientCreds, in.AllowAuthCode, in.AllowImplicit, in.AllowResourceOwner
		d.LifetimeHours, d.Errors, d.FormError = hoursText, errs, notSaved
		if msg := errs["token_lifetime"]; msg != "" && ok {
			d.Errors["token_lifetime"] = "The lifetime " + msg + "."
		}
		return render(c, fiber.StatusUnprocessableEntity, views.Tokens(d))
	}
	return redirectWithFlash(c, appURL(app, "tokens"), "Tokens saved.")
}

func (p *portal) deleteApp(c *fiber.Ctx) error {
	app, err := p.loadApp(c)
	if err != nil {
		return err
	}
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "app.delete", ObjectType: "app", ObjectID: app.ID, ObjectName: app.Name},
		func(tx *models.Store, _ *models.AuditEntry) error { return tx.DeleteApp(c.UserContext(), app.ID) })
	if err != nil {
		return storeError(err)
	}
	return redirectWithFlash(c, "/admin/webapps", "App "+app.Name+" deleted.")
}

// profileOptions lists the authentication profiles for a select, with a
// "None" choice first.
func (p *portal) profileOptions(ctx context.Context, selected string) ([]views.Option, error) {
	profiles, err := p.store.ListAuthProfiles(ctx)
	if err != nil {
		return nil, err
	}
	out := []views.Option{{Value: "", Label: "None", Selected: selected == ""}}
	for _, pr := range profiles {
		out = append(out, views.Option{Value: pr.ID, Label: pr.Name, Selected: pr.ID == selected})
	}
	return out, nil
}

func (p *portal) showPolicy(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateWebApp)
	if err != nil {
		return err
	}
	return p.renderPolicy(c, app, fiber.StatusOK, "")
}

func (p *portal) renderPolicy(c *fiber.Ctx, app *models.App, status int, msg string) error {
	selected := ""
	if app.AuthProfileID != nil {
		selected = *app.AuthProfileID
	}
	options, err := p.profileOptions(c.UserContext(), selected)
	if err != nil {
		return err
	}
	return render(c, status, views.Policy(views.PolicyPage{
		Shell: shell(c, app.Name, views.SectionWebApps), Header: appHeader(app, "policy"), Profiles: options, Error: msg,
	}))
}

func (p *portal) savePolicy(c *fiber.Ctx) error {
	app, err := p.loadAppOf(c, models.TemplateWebApp)
	if err != nil {
		return err
	}
	profileID := c.FormValue("auth_profile_id")
	err = p.updateAppAudited(c, app, "app.update_policy", func(tx *models.Store) (*models.App, error) {
		return tx.SetAppAuthProfile(c.UserContext(), app.ID, profileID)
	})
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		return p.renderPolicy(c, app, fiber.StatusUnprocessableEntity, errs["auth_profile_id"])
	}
	return redirectWithFlash(c, appURL(app, "policy"), "Policy saved.")
}
