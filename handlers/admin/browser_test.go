package admin_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/admin"
	"github.com/portcullis-id/portcullis/handlers/browsertest"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// TestBrowserSetupFlow does in Chromium what a new administrator does to
// prepare the on-demand MFA flow: sign in, create the confidential
// client, make it a System Administrator, set up an OAuth Client and a
// web application. Then it checks through the store that all was saved.
// Screenshots of each page go to PORTCULLIS_SCREENSHOT_DIR when set.
func TestBrowserSetupFlow(t *testing.T) {
	b := browsertest.New(t, 90*time.Second)
	store := modeltest.OpenBackend(t, modeltest.Backends(t)[0], modeltest.FastSettings())
	ln, base := browsertest.Listen(t)
	app := handlers.New(deps.Deps{
		Config: deps.Config{BaseURL: base, BodyLimit: 1 << 20, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second},
		Store:  store,
		Log:    slog.New(slog.DiscardHandler),
	}, admin.Register)
	browsertest.Serve(t, app, ln)

	type css = chromedp.CSS
	testid := func(id string) chromedp.CSS { return css(`[data-testid="` + id + `"]`) }
	// saved waits for the notice of one save. Several pages already show
	// another notice when they open, so the text tells them apart.
	saved := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(`//*[@data-testid="flash" and contains(., "` + text + `")]`)
	}

	b.Do("sign in",
		chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible(testid("login-form")),
	)
	b.Screenshot("sign-in")
	b.Do("submit sign-in",
		chromedp.SendKeys(css("#f-login_name"), models.BootstrapAdminName),
		chromedp.SendKeys(css("#f-password"), modeltest.AdminPassword),
		chromedp.Click(testid("login-submit")),
		chromedp.WaitVisible(testid("users-table")),
	)
	b.Screenshot("users")

	b.Do("open Add User",
		chromedp.Click(testid("add-user")),
		chromedp.WaitVisible(testid("user-form")),
		chromedp.SendKeys(css("#f-login_name"), "backend-client"),
		chromedp.SendKeys(css("#f-display_name"), "Backend service"),
		chromedp.SendKeys(css("#f-password"), "client-secret-0001"),
		chromedp.SendKeys(css("#f-password_confirm"), "client-secret-0001"),
		chromedp.Click(css("#f-is_oauth_client")),
	)
	b.Screenshot("add-user")
	b.Do("save user",
		chromedp.Click(testid("save-user")),
		saved("created"),
	)
	b.Screenshot("user")

	clientName := "backend-client@" + models.DefaultLoginSuffix
	b.Do("add the client to System Administrator",
		chromedp.Click(testid("nav-roles")),
		chromedp.WaitVisible(testid("roles-table")),
		chromedp.Navigate(base+"/admin/roles/"+models.RoleSysAdmin),
		chromedp.WaitVisible(testid("add-user-member")),
		chromedp.SendKeys(css("#f-login_name"), clientName),
		chromedp.Click(testid("add-member-user")),
		saved("Member added"),
	)
	b.Screenshot("role-system-administrator")

	b.Do("add an OAuth Client",
		chromedp.Click(testid("nav-webapps")),
		chromedp.WaitVisible(testid("webapps-table")),
		chromedp.Click(testid("add-webapp")),
		chromedp.WaitVisible(testid("tab-custom")),
	)
	b.Screenshot("catalog")
	b.Do("fill Settings",
		chromedp.Click(testid("add-oauth_client")),
		chromedp.WaitVisible(testid("settings-form")),
		chromedp.SetValue(css("#f-application_id"), "AppA"),
		chromedp.SetValue(css("#f-name"), "Backend API"),
		chromedp.SetValue(css("#f-description"), "Mints user tokens for the launch flow"),
		chromedp.Click(testid("save-settings")),
		saved("Settings saved"),
	)
	b.Screenshot("oauth-settings")
	b.Do("fill Tokens",
		chromedp.Click(testid("tab-tokens")),
		chromedp.WaitVisible(testid("tokens-form")),
		chromedp.SetValue(css("#f-token_lifetime_hours"), "1"),
		chromedp.Click(testid("save-tokens")),
		saved("Tokens saved"),
	)
	b.Screenshot("oauth-tokens")
	b.Do("fill Scope",
		chromedp.Click(testid("tab-scope")),
		chromedp.WaitVisible(testid("new-scope-form")),
		chromedp.SendKeys(css("#new-scope-name"), "tfu"),
		chromedp.SendKeys(css("#new-scope-regexes"), "security/GetTokenForUser"),
		chromedp.Click(testid("add-scope")),
		saved("Scope saved"),
		chromedp.SendKeys(css("#f-test_path"), "/security/GetTokenForUser?user=someone"),
		chromedp.Click(testid("run-scope-test")),
		chromedp.WaitVisible(testid("scope-test-result")),
	)
	result, err := chromedp.Run(b.Ctx, chromedp.Text(testid("scope-test-result")))
	if err != nil || !strings.Contains(result, "tfu") {
		t.Errorf("scope tester shows %q (%v), want the tfu scope", result, err)
	}
	b.Screenshot("oauth-scope")
	b.Do("fill Permissions",
		chromedp.Click(testid("tab-permissions")),
		chromedp.WaitVisible(testid("add-user-permission")),
		chromedp.SendKeys(css("#f-login_name"), clientName),
		chromedp.Click(testid("add-permission-user")),
		saved("Permissions saved"),
	)
	b.Screenshot("oauth-permissions")

	b.Do("add an authentication profile",
		chromedp.Click(testid("nav-profiles")),
		chromedp.Click(testid("add-profile")),
		chromedp.WaitVisible(testid("profile-form")),
		chromedp.SendKeys(css("#f-name"), "Authenticator app"),
		chromedp.Click(css("#challenge1-"+models.MechOATH)),
		chromedp.Click(testid("save-profile")),
		saved("Profile saved"),
	)
	b.Screenshot("profile")
	profiles, err := store.ListAuthProfiles(context.Background())
	if err != nil || len(profiles) != 1 {
		t.Fatalf("profiles %v %v", profiles, err)
	}

	b.Do("add a Web application",
		chromedp.Navigate(base+"/admin/webapps/new"),
		chromedp.Click(testid("add-web_app")),
		chromedp.WaitVisible(testid("app-key")),
	)
	appKey, err := chromedp.Run(b.Ctx, chromedp.Text(testid("app-key")))
	if err != nil {
		t.Fatal(err)
	}
	b.Screenshot("webapp-description")
	b.Do("set its Settings",
		chromedp.Click(testid("tab-settings")),
		chromedp.WaitVisible(testid("settings-form")),
		chromedp.SendKeys(css("#f-launch_url"), "https://app.example/sso"),
		chromedp.SendKeys(css("#f-failure_urls"), "https://app.example/mfa-failed"),
		chromedp.Click(testid("save-settings")),
		saved("Settings saved"),
	)
	b.Do("set its Policy",
		chromedp.Click(testid("tab-policy")),
		chromedp.WaitVisible(testid("policy-form")),
		chromedp.SetValue(css("#f-auth_profile_id"), profiles[0].ID),
		chromedp.Click(testid("save-policy")),
		saved("Policy saved"),
	)
	b.Screenshot("webapp-policy")

	b.Do("open the audit log",
		chromedp.Click(testid("nav-audit")),
		chromedp.WaitVisible(testid("audit-table")),
	)
	b.Screenshot("audit")
	b.Do("phone width",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(testid("users-table")),
	)
	b.Screenshot("users-phone")

	checkSetupSaved(t, store, clientName, appKey, profiles[0].ID)
}

func checkSetupSaved(t *testing.T, store *models.Store, clientName, appKey, profileID string) {
	t.Helper()
	ctx := context.Background()
	client, err := store.UserByLoginName(ctx, clientName)
	if err != nil {
		t.Fatalf("client user: %v", err)
	}
	if !client.IsOAuthClient || !client.IsServiceUser || !client.PasswordNeverExpires || client.DisplayName != "Backend service" {
		t.Errorf("client flags: %+v", client)
	}
	if ok, _ := store.Hasher.Verify(client.PasswordHash, "client-secret-0001"); !ok {
		t.Error("client password not saved")
	}
	if ok, _ := store.IsSysAdmin(ctx, client); !ok {
		t.Error("client is not a System Administrator")
	}

	oauth, err := store.AppByApplicationID(ctx, "AppA")
	if err != nil {
		t.Fatalf("OAuth Client AppA: %v", err)
	}
	if oauth.Name != "Backend API" || !oauth.Enabled || !oauth.AllowClientCreds || oauth.TokenLifetimeSeconds != 3600 {
		t.Errorf("OAuth Client: %+v", oauth)
	}
	scopes, _ := store.ScopesOfApp(ctx, oauth.ID)
	if len(scopes) != 1 || scopes[0].Name != "tfu" || scopes[0].Regexes != "security/GetTokenForUser" {
		t.Errorf("scopes: %+v", scopes)
	}
	rights, _ := store.AppRightsOf(ctx, client, oauth.ID)
	if !rights.Run {
		t.Errorf("client rights on AppA: %+v", rights)
	}

	web, err := store.AppByAppKey(ctx, strings.TrimSpace(appKey))
	if err != nil {
		t.Fatalf("web application by App Key %q: %v", appKey, err)
	}
	if web.AuthProfileID == nil || *web.AuthProfileID != profileID {
		t.Errorf("web application policy: %+v", web.AuthProfileID)
	}
	if web.LaunchURL != "https://app.example/sso" || web.FailureURLs != "https://app.example/mfa-failed" {
		t.Errorf("web application settings: %q %q", web.LaunchURL, web.FailureURLs)
	}
}
