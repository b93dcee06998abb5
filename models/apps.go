package models

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// applicationIDPattern is what an Application ID may contain: it is a path
// segment of the token URL, so no spaces, slashes or percent signs.
var applicationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$`)

// ValidateApplicationID checks an OAuth Client's Application ID.
func ValidateApplicationID(id string) error {
	if id == "" {
		return errors.New("is required")
	}
	if !applicationIDPattern.MatchString(id) {
		return errors.New("must be 1 to 128 characters: letters, digits, dot, underscore, tilde or hyphen, starting with a letter or digit, and no spaces")
	}
	return nil
}

// NewApp describes an app to create from a template.
type NewApp struct {
	Template      string
	Name          string
	Description   string
	ApplicationID string // OAuth Client only
}

// CreateApp validates and stores a new app with a fresh App Key. OAuth
// Clients start with Client Creds allowed and the default token lifetime.
func (s *Store) CreateApp(ctx context.Context, in NewApp) (*App, error) {
	var verrs ValidationErrors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		verrs.Add("name", "is required")
	} else if len(in.Name) > 200 {
		verrs.Add("name", "must be at most 200 characters")
	}
	if len(in.Description) > 2000 {
		verrs.Add("description", "must be at most 2000 characters")
	}
	now := s.Now()
	app := &App{
		ID:                   NewID(),
		AppKey:               NewID(),
		Template:             in.Template,
		Name:                 in.Name,
		Description:          in.Description,
		Enabled:              true,
		TokenType:            "JwtRS256",
		TokenLifetimeSeconds: int(DefaultTokenLifetime.Seconds()),
		LaunchMethod:         LaunchRedirect,
		CreatedAt:            now,
		UpdatedAt:            now,
	}
	switch in.Template {
	case TemplateOAuthClient:
		in.ApplicationID = strings.TrimSpace(in.ApplicationID)
		if err := ValidateApplicationID(in.ApplicationID); err != nil {
			verrs.Add("application_id", err.Error())
		}
		key := strings.ToLower(in.ApplicationID)
		app.ApplicationID, app.ApplicationIDKey = &in.ApplicationID, &key
		app.AllowClientCreds = true
	case TemplateWebApp:
	default:
		verrs.Add("template", "must be oauth_client or web_app")
	}
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	if err := s.conn(ctx).Create(app).Error; err != nil {
		if errors.Is(mapError(err), ErrConflict) {
			return nil, ValidationErrors{{Field: "application_id", Message: "another app already uses this Application ID"}}
		}
		return nil, err
	}
	return app, nil
}

// AppByID returns the app with the id, or ErrNotFound.
func (s *Store) AppByID(ctx context.Context, id string) (*App, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	return cachedState(s, "app_id:"+id, func() (*App, error) {
		return s.findApp(ctx, "id = ?", id)
	}, cloneApp)
}

// findApp returns the one app matching the condition, or ErrNotFound.
func (s *Store) findApp(ctx context.Context, condition string, value string) (*App, error) {
	var app App
	if err := s.conn(ctx).Where(condition, value).Take(&app).Error; err != nil {
		return nil, mapError(err)
	}
	return &app, nil
}

// AppByApplicationID returns the OAuth Client with the Application ID,
// compared case-insensitively, or ErrNotFound.
func (s *Store) AppByApplicationID(ctx context.Context, applicationID string) (*App, error) {
	if ValidateApplicationID(applicationID) != nil {
		return nil, ErrNotFound
	}
	key := strings.ToLower(applicationID)
	return cachedState(s, "app_application_id:"+key, func() (*App, error) {
		return s.findApp(ctx, "application_id_key = ?", key)
	}, cloneApp)
}

// AppByAppKey returns the app with the App Key, or ErrNotFound.
func (s *Store) AppByAppKey(ctx context.Context, appKey string) (*App, error) {
	parsed, err := uuid.Parse(appKey)
	if err != nil {
		return nil, ErrNotFound
	}
	key := parsed.String()
	return cachedState(s, "app_key:"+key, func() (*App, error) {
		return s.findApp(ctx, "app_key = ?", key)
	}, cloneApp)
}

// ListApps returns every app, by name.
func (s *Store) ListApps(ctx context.Context) ([]App, error) {
	var apps []App
	err := s.conn(ctx).Order("name ASC, id ASC").Find(&apps).Error
	return apps, err
}

// AppSettings is the Settings or Description page of an app. Pointers
// left nil are not changed; set values are saved even when false or empty.
type AppSettings struct {
	Name          *string
	Description   *string
	ApplicationID *string // OAuth Client only
	Enabled       *bool
	LaunchURL     *string // web application only
	FailureURLs   *string // one per line, web application only
	LaunchMethod  *string
}

// UpdateAppSettings validates and saves the changed fields of an app.
func (s *Store) UpdateAppSettings(ctx context.Context, id string, in AppSettings) (*App, error) {
	app, err := s.AppByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var verrs ValidationErrors
	changes := map[string]any{}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			verrs.Add("name", "is required")
		} else if len(name) > 200 {
			verrs.Add("name", "must be at most 200 characters")
		}
		changes["name"] = name
	}
	if in.Description != nil {
		if len(*in.Description) > 2000 {
			verrs.Add("description", "must be at most 2000 characters")
		}
		changes["description"] = *in.Description
	}
	if in.ApplicationID != nil {
		appID := strings.TrimSpace(*in.ApplicationID)
		if app.Template != TemplateOAuthClient {
			verrs.Add("application_id", "only OAuth Client apps have an Application ID")
		} else if err := ValidateApplicationID(appID); err != nil {
			verrs.Add("application_id", err.Error())
		}
		changes["application_id"] = appID
		changes["application_id_key"] = strings.ToLower(appID)
	}
	if in.Enabled != nil {
		changes["enabled"] = *in.Enabled
	}
	if in.LaunchURL != nil {
		launch := strings.TrimSpace(*in.LaunchURL)
		if launch != "" {
			if err := validateAbsoluteURL(launch); err != nil {
				verrs.Add("launch_url", err.Error())
			}
		}
		changes["launch_url"] = launch
	}
	if in.FailureURLs != nil {
		var lines []string
		for _, line := range splitLines(*in.FailureURLs) {
			if !strings.HasPrefix(line, "/") || strings.HasPrefix(line, "//") {
				if err := validateAbsoluteURL(line); err != nil {
					verrs.Add("failure_urls", line+": "+err.Error())
					continue
				}
			} else if _, err := ValidateRedirect(line, RedirectPolicy{}); err != nil {
				verrs.Add("failure_urls", line+": is not a safe path on this server")
				continue
			}
			lines = append(lines, line)
		}
		if len(lines) > 50 {
			verrs.Add("failure_urls", "at most 50 URLs")
		}
		changes["failure_urls"] = strings.Join(lines, "\n")
	}
	if in.LaunchMethod != nil {
		if *in.LaunchMethod != LaunchRedirect && *in.LaunchMethod != LaunchFormPost {
			verrs.Add("launch_method", "must be redirect or form_post")
		}
		changes["launch_method"] = *in.LaunchMethod
	}
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	if err := s.updateApp(ctx, id, changes); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, ValidationErrors{{Field: "application_id", Message: "another app already uses this Application ID"}}
		}
		return nil, err
	}
	return s.AppByID(ctx, id)
}

// validateAbsoluteURL accepts absolute http and https URLs without user
// info or control characters.
func validateAbsoluteURL(raw string) error {
	if len(raw) > 2048 {
		return errors.New("must be at most 2048 characters")
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == ' ' || r == '\\' {
			return errors.New("must not contain spaces, backslashes or control characters")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http or https URL")
	}
	if u.User != nil {
		return errors.New("must not contain user info")
	}
	return nil
}

// AppTokens is the Tokens page of an OAuth Client.
type AppTokens struct {
	AllowClientCreds   bool
	AllowAuthCode      bool
	AllowImplicit      bool
	AllowResourceOwner bool
	// LifetimeSeconds is the access token lifetime.
	LifetimeSeconds int
}

// MaxTokenLifetimeSeconds caps access token lifetimes at 30 days.
const MaxTokenLifetimeSeconds = 30 * 24 * 3600

// UpdateAppTokens saves the Tokens page. Every field is written, so an
// unticked box is saved as false.
func (s *Store) UpdateAppTokens(ctx context.Context, id string, in AppTokens) (*App, error) {
	app, err := s.AppByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var verrs ValidationErrors
	if app.Template != TemplateOAuthClient {
		verrs.Add("template", "only OAuth Client apps issue tokens")
	}
	if in.LifetimeSeconds < 60 || in.LifetimeSeconds > MaxTokenLifetimeSeconds {
		verrs.Add("token_lifetime", "must be between 1 minute and 30 days")
	}
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	err = s.updateApp(ctx, id, map[string]any{
		"allow_client_creds":     in.AllowClientCreds,
		"allow_auth_code":        in.AllowAuthCode,
		"allow_implicit":         in.AllowImplicit,
		"allow_resource_owner":   in.AllowResourceOwner,
		"token_lifetime_seconds": in.LifetimeSeconds,
	})
	if err != nil {
		return nil, err
	}
	return s.AppByID(ctx, id)
}

// SetAppAuthProfile sets the authentication profile used at launch; an
// empty profileID clears it.
func (s *Store) SetAppAuthProfile(ctx context.Context, appID, profileID string) (*App, error) {
	var value any
	if profileID != "" {
		if _, err := s.AuthProfileByID(ctx, profileID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, ValidationErrors{{Field: "auth_profile_id", Message: "no such authentication profile"}}
			}
			return nil, err
		}
		value = profileID
	}
	if err := s.updateApp(ctx, appID, map[string]any{"auth_profile_id": value}); err != nil {
		return nil, err
	}
	return s.AppByID(ctx, appID)
}

func (s *Store) updateApp(ctx context.Context, id string, changes map[string]any) error {
	if len(changes) == 0 {
		return nil
	}
	changes["updated_at"] = s.Now()
	res := s.conn(ctx).Model(&App{}).Where("id = ?", id).Updates(changes)
	if res.Error != nil {
		return mapError(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteApp deletes an app with its scopes, permissions and MFA sessions.
func (s *Store) DeleteApp(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrNotFound
	}
	res := s.conn(ctx).Where("id = ?", id).Delete(&App{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
