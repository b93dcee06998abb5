// Package oauthtest builds the fixture that the tests of the token API,
// the bearer middleware and the security API share. On one database
// backend, it creates two OAuth Client apps with scopes, confidential
// clients and end users, and the Fiber app with the real middleware.
//
// The fixture follows the token API's fault cases. client-a and client-b
// are clients of app-a and app-b, and client-d is a disabled client of
// app-a. app-a defines the scopes tfu, token-info and read. admin-all
// exists only on app-b, so it is never granted to client-a.
package oauthtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/portcullis-id/portcullis/handlers"
	"github.com/portcullis-id/portcullis/handlers/deps"
	"github.com/portcullis-id/portcullis/handlers/oauth"
	"github.com/portcullis-id/portcullis/handlers/security"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// Fixture values.
const (
	BaseURL = "http://localhost:8080"
	Issuer  = BaseURL + "/"

	AppA = "app-a"
	AppB = "app-b"

	ClientAName = "client-a@example.test"
	ClientBName = "client-b@example.test"
	ClientCName = "client-c@example.test"
	ClientDName = "client-d@example.test"
	SecretA     = "secret-a-0001"
	SecretB     = "secret-b-0001"
	SecretC     = "secret-c-0001"
	SecretD     = "secret-d-0001"

	User01Name = "user-01@example.test"
	User02Name = "user-02-with-a-longer-name@example.test"
	UserPass   = "user-password-0001"
)

// RequestTimeout is the app.Test timeout, in milliseconds. Store work on
// PostgreSQL under a loaded machine can take longer than Fiber's default
// of one second.
const RequestTimeout = 20000

// Fixture is one backend's store, Fiber app and fixture rows.
type Fixture struct {
	Store *models.Store
	// DB is a second connection to the same database, for fixture rows
	// that the store's validation rejects.
	DB   *gorm.DB
	Deps deps.Deps
	App  *fiber.App
	// Logs receives every log line of the app and the store, as JSON.
	Logs *SyncBuffer

	AppA, AppB *models.App
	// ClientA and ClientB are System Administrators, so they may mint
	// user tokens. ClientC has Run on app-a but no right. ClientD is
	// disabled.
	ClientA, ClientB, ClientC, ClientD *models.User
	User01, User02                     *models.User
	Admin                              *models.User
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Each runs fn once per backend with a fresh fixture.
func Each(t *testing.T, fn func(t *testing.T, f *Fixture)) {
	t.Helper()
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, New(t, b)) })
	}
}

// New builds the fixture on the backend. Extra surfaces are registered
// after the token API and the security API.
func New(t testing.TB, b modeltest.Backend, extra ...handlers.Surface) *Fixture {
	t.Helper()
	ctx := context.Background()
	logs := &SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	store := modeltest.OpenBackend(t, b, modeltest.FastSettings())
	store.Log = log
	if err := store.EnsureSigningKey(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := models.OpenDB(ctx, b.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})

	f := &Fixture{Store: store, DB: db, Logs: logs}
	f.Deps = deps.Deps{
		Config: deps.Config{BaseURL: BaseURL, BodyLimit: 64 * 1024, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: 10 * time.Second},
		Store:  store,
		Log:    log,
	}
	f.App = handlers.New(f.Deps, append([]handlers.Surface{oauth.Register, security.Register}, extra...)...)
	f.seed(t)
	return f
}

func (f *Fixture) seed(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	s := f.Store
	var err error
	if f.Admin, err = s.UserByLoginName(ctx, models.BootstrapAdminName); err != nil {
		t.Fatal(err)
	}

	f.AppA = f.createApp(t, AppA, map[string]string{
		"tfu":        "/security/GetTokenForUser",
		"token-info": "/security/GetToken",
		"read":       "/users/.*",
	})
	f.AppB = f.createApp(t, AppB, map[string]string{
		"tfu":       "/security/GetTokenForUser",
		"admin-all": ".*",
	})

	f.ClientA = f.createClient(t, ClientAName, SecretA, f.AppA, true)
	f.ClientB = f.createClient(t, ClientBName, SecretB, f.AppB, true)
	f.ClientC = f.createClient(t, ClientCName, SecretC, f.AppA, false)
	f.ClientD = f.createClient(t, ClientDName, SecretD, f.AppA, true)
	if err := s.SetUserDisabled(ctx, models.Actor{Name: "fixture"}, f.ClientD.ID, true); err != nil {
		t.Fatal(err)
	}

	for _, u := range []struct {
		name string
		dst  **models.User
	}{{User01Name, &f.User01}, {User02Name, &f.User02}} {
		if *u.dst, err = s.CreateUser(ctx, models.NewUser{LoginName: u.name, Password: UserPass}); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *Fixture) createApp(t testing.TB, applicationID string, scopes map[string]string) *models.App {
	t.Helper()
	ctx := context.Background()
	app, err := f.Store.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "OAuth client " + applicationID, ApplicationID: applicationID})
	if err != nil {
		t.Fatal(err)
	}
	for name, regex := range scopes {
		if _, err := f.Store.CreateScope(ctx, app.ID, models.ScopeInput{Name: name, Regexes: []string{regex}}); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

func (f *Fixture) createClient(t testing.TB, name, secret string, app *models.App, sysadmin bool) *models.User {
	t.Helper()
	ctx := context.Background()
	client, err := f.Store.CreateUser(ctx, models.NewUser{LoginName: name, Password: secret, IsOAuthClient: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Store.SetAppPermission(ctx, app.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: client.ID, Run: true}); err != nil {
		t.Fatal(err)
	}
	if sysadmin {
		if err := f.Store.AddRoleMember(ctx, f.Admin, models.RoleSysAdmin, models.PrincipalUser, client.ID); err != nil {
			t.Fatal(err)
		}
	}
	return client
}

// SetSecret stores secret as the user's password without the length and
// character checks of ValidatePassword, so fixtures can use secrets such
// as the 7-character "Grüße-7".
func (f *Fixture) SetSecret(t testing.TB, user *models.User, secret string) {
	t.Helper()
	hash, err := f.Store.Hasher.Hash(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.DB.Model(&models.User{}).Where("id = ?", user.ID).Update("password_hash", hash).Error; err != nil {
		t.Fatal(err)
	}
}

// Do runs req through the app and returns the response with its body.
func (f *Fixture) Do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := f.App.Test(req, RequestTimeout)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp, string(body)
}

// RawBasic returns an Authorization value with id and secret as they are,
// without the form-encoding of RFC 6749 §2.3.1.
func RawBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// EncodedBasic returns an Authorization value with id and secret
// form-encoded first, as RFC 6749 §2.3.1 requires and golang.org/x/oauth2
// sends them.
func EncodedBasic(id, secret string) string {
	return RawBasic(url.QueryEscape(id), url.QueryEscape(secret))
}

// TokenRequest returns a form-urlencoded POST to path with the
// Authorization value (none when empty).
func TokenRequest(path, authorization, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return req
}

// TokenResponse is the JSON of a token endpoint response, success or error.
type TokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// AccessToken returns an access token of client-a on app-a with scope.
func (f *Fixture) AccessToken(t testing.TB, scope string) string {
	t.Helper()
	return f.AccessTokenFor(t, AppA, ClientAName, SecretA, scope)
}

// AccessTokenFor returns an access token from the token endpoint.
func (f *Fixture) AccessTokenFor(t testing.TB, applicationID, clientID, secret, scope string) string {
	t.Helper()
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}.Encode()
	resp, raw := f.Do(t, TokenRequest("/oauth2/token/"+applicationID, EncodedBasic(clientID, secret), body))
	var tr TokenResponse
	if err := json.Unmarshal([]byte(raw), &tr); err != nil || resp.StatusCode != http.StatusOK || tr.AccessToken == "" {
		t.Fatalf("token request for %s on %s: %d %s", clientID, applicationID, resp.StatusCode, raw)
	}
	return tr.AccessToken
}

// GetTokenForUserRequest returns a GetTokenForUser request with the
// bearer token (none when empty) and the raw query string.
func GetTokenForUserRequest(bearer, rawQuery string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, security.PathGetTokenForUser+"?"+rawQuery, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req
}

// Forge rebuilds token as an attacker would: with header (JSON) in place
// of its header when header is not empty, its payload changed by edit
// when edit is not nil, and its signature kept or dropped.
func Forge(t testing.TB, token, header string, edit func(claims map[string]any), keepSignature bool) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	enc := base64.RawURLEncoding
	if header != "" {
		parts[0] = enc.EncodeToString([]byte(header))
	}
	if edit != nil {
		raw, err := enc.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		if err := json.Unmarshal(raw, &claims); err != nil {
			t.Fatal(err)
		}
		edit(claims)
		changed, _ := json.Marshal(claims)
		parts[1] = enc.EncodeToString(changed)
	}
	if !keepSignature {
		parts[2] = ""
	}
	return strings.Join(parts, ".")
}
