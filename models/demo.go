package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"gorm.io/gorm/clause"
)

// Fixed names of the demo objects, so SeedDemo finds them again.
const (
	DemoApplicationID = "demo"
	DemoScope         = "GetToken"
	DemoScopeRegex    = "security/GetTokenForUser"
	DemoClientName    = "demo-client@" + DefaultLoginSuffix
	DemoUserName      = "demo-user@" + DefaultLoginSuffix
	DemoProfileName   = "Demo: OATH OTP"
	DemoWebAppName    = "Demo App"
	DemoLaunchPath    = "/demo/app"
	DemoFailurePath   = "/demo/failed"

	settingDemoFixture = "demo_fixture"
	purposeDemoFixture = "demo-fixture"
)

// DemoFixture is what the on-demand MFA flow needs, as `portcullis demo
// --json` prints it.
type DemoFixture struct {
	BaseURL       string `json:"base_url"`
	ApplicationID string `json:"application_id"`
	Scope         string `json:"scope"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	AppKey        string `json:"app_key"`
	User          string `json:"user"`
	TOTPSecret    string `json:"totp_secret"`
	LaunchURL     string `json:"launch_url"`
	FailureURL    string `json:"failure_url"`
	// UserPassword signs the demo user in to the user portal. The JSON
	// output leaves it out because the flow never needs it.
	UserPassword string `json:"-"`
}

// demoSecrets are kept sealed in the settings table so a second run
// prints the same values instead of resetting them.
type demoSecrets struct {
	ClientSecret string `json:"client_secret"`
	UserPassword string `json:"user_password"`
	TOTPSecret   string `json:"totp_secret"`
	WebAppID     string `json:"web_app_id"`
}

// SeedDemo creates, or repairs, the objects the on-demand MFA flow needs,
// the way an administrator would in the portal: a confidential client in
// System Administrator; the OAuth Client app "demo" allowing only Client
// Creds, with the scope GetToken and the client on its Permissions; an
// OATH OTP profile; a Web application launching /demo/app with that
// policy and /demo/failed as failure URL; and an end user enrolled in
// TOTP. Secrets are generated per database. Running it again changes only
// what no longer matches.
func (s *Store) SeedDemo(ctx context.Context, baseURL string) (*DemoFixture, error) {
	baseURL = strings.TrimRight(baseURL, "/")
	secrets, err := s.loadDemoSecrets(ctx)
	if err != nil {
		return nil, err
	}

	var fx *DemoFixture
	err = s.InTx(ctx, func(tx *Store) error {
		client, err := tx.ensureDemoUser(ctx, DemoClientName, "Demo OAuth confidential client", true, &secrets.ClientSecret)
		if err != nil {
			return err
		}
		if err := tx.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).
			Create(&RoleMember{RoleID: RoleSysAdmin, MemberType: PrincipalUser, MemberID: client.ID}).Error; err != nil {
			return err
		}
		user, err := tx.ensureDemoUser(ctx, DemoUserName, "Demo User", false, &secrets.UserPassword)
		if err != nil {
			return err
		}
		if err := tx.ensureDemoTOTP(ctx, user, &secrets.TOTPSecret); err != nil {
			return err
		}

		oauthApp, err := tx.ensureDemoOAuthApp(ctx, client)
		if err != nil {
			return err
		}
		profile, err := tx.ensureDemoProfile(ctx)
		if err != nil {
			return err
		}
		webApp, err := tx.ensureDemoWebApp(ctx, baseURL, secrets.WebAppID, profile, user)
		if err != nil {
			return err
		}
		secrets.WebAppID = webApp.ID

		if err := tx.saveDemoSecrets(ctx, secrets); err != nil {
			return err
		}
		fx = &DemoFixture{
			BaseURL:       baseURL,
			ApplicationID: oauthApp.AppIDString(),
			Scope:         DemoScope,
			ClientID:      client.LoginName,
			ClientSecret:  secrets.ClientSecret,
			AppKey:        webApp.AppKey,
			User:          user.LoginName,
			TOTPSecret:    secrets.TOTPSecret,
			LaunchURL:     baseURL + DemoLaunchPath,
			FailureURL:    baseURL + DemoFailurePath,
			UserPassword:  secrets.UserPassword,
		}
		return tx.RecordAudit(ctx, Actor{Name: "portcullis demo"}, AuditEntry{
			Action: "demo.seed", ObjectType: "app", ObjectID: webApp.ID, ObjectName: webApp.Name,
		})
	})
	return fx, err
}

func (s *Store) loadDemoSecrets(ctx context.Context) (*demoSecrets, error) {
	var out demoSecrets
	raw, err := s.GetSetting(ctx, settingDemoFixture)
	if err != nil || raw == "" {
		return &out, err
	}
	sealed, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return &demoSecrets{}, nil
	}
	plain, err := s.Keys.Open(purposeDemoFixture, sealed)
	if err != nil {
		// Sealed under another secret key: start over with new secrets.
		return &demoSecrets{}, nil
	}
	if err := json.Unmarshal(plain, &out); err != nil {
		return &demoSecrets{}, nil
	}
	return &out, nil
}

func (s *Store) saveDemoSecrets(ctx context.Context, secrets *demoSecrets) error {
	plain, err := json.Marshal(secrets)
	if err != nil {
		return err
	}
	sealed, err := s.Keys.Seal(purposeDemoFixture, plain)
	if err != nil {
		return err
	}
	return s.SetSetting(ctx, settingDemoFixture, base64.StdEncoding.EncodeToString(sealed))
}

// ensureDemoUser returns the user, creating it or resetting its password
// when the kept secret no longer verifies. It re-enables and unlocks it.
func (s *Store) ensureDemoUser(ctx context.Context, name, display string, oauthClient bool, secret *string) (*User, error) {
	if *secret == "" {
		generated, err := GeneratePassword()
		if err != nil {
			return nil, err
		}
		*secret = generated
	}
	user, err := s.UserByLoginName(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return s.CreateUser(ctx, NewUser{LoginName: name, DisplayName: display, Password: *secret, IsOAuthClient: oauthClient,
			Email: strings.Replace(name, "@"+DefaultLoginSuffix, "@example.com", 1)})
	}
	if err != nil {
		return nil, err
	}
	changes := map[string]any{"disabled": false, "locked": false, "locked_until": nil,
		"is_oauth_client": oauthClient, "is_service_user": oauthClient, "updated_at": s.Now()}
	if ok, _ := s.Hasher.Verify(user.PasswordHash, *secret); !ok {
		hash, err := s.Hasher.Hash(*secret)
		if err != nil {
			return nil, err
		}
		changes["password_hash"] = hash
		changes["password_changed_at"] = s.Now()
	}
	if err := s.conn(ctx).Model(&User{}).Where("id = ?", user.ID).Updates(changes).Error; err != nil {
		return nil, err
	}
	return s.UserByID(ctx, user.ID)
}

// ensureDemoTOTP enrolls the user in TOTP with the kept secret, or a new
// one when none is kept or the stored seed differs.
func (s *Store) ensureDemoTOTP(ctx context.Context, user *User, secret *string) error {
	if *secret != "" && user.HasTOTP() {
		if stored, err := s.Keys.Open(PurposeTOTPSecret, user.TOTPSecretEnc); err == nil && string(stored) == *secret {
			return nil
		}
	}
	if *secret == "" {
		generated, err := GenerateTOTPSecret()
		if err != nil {
			return err
		}
		*secret = generated
	}
	sealed, err := s.Keys.Seal(PurposeTOTPSecret, []byte(*secret))
	if err != nil {
		return err
	}
	now := s.Now()
	return s.conn(ctx).Model(&User{}).Where("id = ?", user.ID).Updates(map[string]any{
		"totp_secret_enc": sealed, "totp_last_step": 0, "totp_enrolled_at": now, "updated_at": now,
	}).Error
}

func (s *Store) ensureDemoOAuthApp(ctx context.Context, client *User) (*App, error) {
	app, err := s.AppByApplicationID(ctx, DemoApplicationID)
	if errors.Is(err, ErrNotFound) {
		app, err = s.CreateApp(ctx, NewApp{Template: TemplateOAuthClient, Name: "Demo OAuth Client",
			Description: "Issues bearer tokens for GetTokenForUser.", ApplicationID: DemoApplicationID})
	}
	if err != nil {
		return nil, err
	}
	enabled := true
	if _, err := s.UpdateAppSettings(ctx, app.ID, AppSettings{Enabled: &enabled}); err != nil {
		return nil, err
	}
	if _, err := s.UpdateAppTokens(ctx, app.ID, AppTokens{AllowClientCreds: true, LifetimeSeconds: int(DefaultTokenLifetime.Seconds())}); err != nil {
		return nil, err
	}

	scopes, err := s.ScopesOfApp(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	in := ScopeInput{Name: DemoScope, Description: "Mint icbt tokens for users", Regexes: []string{DemoScopeRegex}}
	found := false
	for _, sc := range scopes {
		if sc.Name == DemoScope {
			found = true
			if _, err := s.UpdateScope(ctx, app.ID, sc.ID, in); err != nil {
				return nil, err
			}
		}
	}
	if !found {
		if _, err := s.CreateScope(ctx, app.ID, in); err != nil {
			return nil, err
		}
	}
	err = s.SetAppPermission(ctx, app.ID, PermissionInput{PrincipalType: PrincipalUser, PrincipalID: client.ID, View: true, Run: true})
	return app, err
}

func (s *Store) ensureDemoProfile(ctx context.Context) (*AuthProfile, error) {
	profiles, err := s.ListAuthProfiles(ctx)
	if err != nil {
		return nil, err
	}
	in := AuthProfileInput{Name: DemoProfileName, Challenges: [][]string{{MechOATH}}}
	for _, p := range profiles {
		if p.NameKey == NormalizeName(DemoProfileName) {
			return s.UpdateAuthProfile(ctx, p.ID, in)
		}
	}
	return s.CreateAuthProfile(ctx, in)
}

func (s *Store) ensureDemoWebApp(ctx context.Context, baseURL, id string, profile *AuthProfile, user *User) (*App, error) {
	var app *App
	var err error
	if id != "" {
		app, err = s.AppByID(ctx, id)
	}
	if id == "" || errors.Is(err, ErrNotFound) {
		app, err = s.CreateApp(ctx, NewApp{Template: TemplateWebApp, Name: DemoWebAppName,
			Description: "Shows and verifies the launch assertion after on-demand MFA."})
	}
	if err != nil {
		return nil, err
	}
	launch := baseURL + DemoLaunchPath
	failures := DemoFailurePath + "\n" + baseURL + DemoFailurePath
	method := LaunchRedirect
	enabled := true
	if _, err := s.UpdateAppSettings(ctx, app.ID, AppSettings{LaunchURL: &launch, FailureURLs: &failures, LaunchMethod: &method, Enabled: &enabled}); err != nil {
		return nil, err
	}
	if _, err := s.SetAppAuthProfile(ctx, app.ID, profile.ID); err != nil {
		return nil, err
	}
	if err := s.SetAppPermission(ctx, app.ID, PermissionInput{PrincipalType: PrincipalUser, PrincipalID: user.ID, View: true, Run: true}); err != nil {
		return nil, err
	}
	return s.AppByID(ctx, app.ID)
}
