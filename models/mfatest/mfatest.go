// Package mfatest builds the fixtures of the on-demand MFA tests: a user
// enrolled in every mechanism, a launchable web application with an
// authentication profile, icbt tokens and a controllable clock.
package mfatest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// Enrollment values of the fixture user.
const (
	// TOTPSecret is the 80-bit base32 secret that authenticator app
	// documentation commonly uses as an example.
	TOTPSecret       = "JBSWY3DPEHPK3PXP"
	Password         = "user-password-0001"
	Email            = "jane.doe@example.com"
	Mobile           = "+1 555 010 1234"
	SecurityQuestion = "Name of your first pet?"
	SecurityAnswer   = "Rex the Dog"
	// LaunchURL is the default launch URL of the fixture app.
	LaunchURL = "https://app-a.example/launch"
)

// Clock is a settable clock for Store.Now. It starts at a fixed time at
// the start of a 30-second TOTP step.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Base is the clock's start: 2026-12-04 00:00:00 UTC, a multiple of 30
// seconds since the Unix epoch.
var Base = time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)

// NewClock returns a clock at Base.
func NewClock() *Clock { return &Clock{now: Base} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Options shape the fixture app.
type Options struct {
	// Challenges of the app's profile; nil gives the app no profile.
	Challenges [][]string
	// LaunchURL defaults to LaunchURL.
	LaunchURL string
	// FailureURLs are the allowed failure-redirect URLs, one per line.
	FailureURLs  string
	LaunchMethod string
	// Enroll lists the mechanisms the user is enrolled in; nil enrolls
	// every mechanism.
	Enroll []string
}

// Fixture is a user allowed to run an app with an authentication profile.
type Fixture struct {
	Store   *models.Store
	Clock   *Clock
	User    *models.User
	App     *models.App
	Profile *models.AuthProfile
}

// New creates the fixture in s and sets s.Now to a new Clock.
func New(t testing.TB, s *models.Store, opts Options) *Fixture {
	t.Helper()
	ctx := context.Background()
	clock := NewClock()
	s.Now = clock.Now

	user, err := s.CreateUser(ctx, models.NewUser{
		LoginName:    modeltest.Name("jane"),
		DisplayName:  "Jane Doe",
		Email:        Email,
		MobileNumber: Mobile,
		Password:     Password,
	})
	must(t, err)
	enroll := opts.Enroll
	if enroll == nil {
		enroll = models.AllMechanisms
	}
	EnrollUser(t, s, user.ID, enroll...)

	f := &Fixture{Store: s, Clock: clock, User: user}
	f.App = NewApp(t, s, opts)
	if f.App.AuthProfileID != nil {
		f.Profile, err = s.AuthProfileByID(ctx, *f.App.AuthProfileID)
		must(t, err)
	}
	must(t, s.SetAppPermission(ctx, f.App.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: user.ID, Run: true}))
	f.User = f.Reload(t)
	return f
}

// NewApp creates an enabled web application with the options' launch
// settings and profile.
func NewApp(t testing.TB, s *models.Store, opts Options) *models.App {
	t.Helper()
	ctx := context.Background()
	app, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateWebApp, Name: "App A"})
	must(t, err)
	launch := opts.LaunchURL
	if launch == "" {
		launch = LaunchURL
	}
	method := opts.LaunchMethod
	if method == "" {
		method = models.LaunchRedirect
	}
	app, err = s.UpdateAppSettings(ctx, app.ID, models.AppSettings{LaunchURL: &launch, FailureURLs: &opts.FailureURLs, LaunchMethod: &method})
	must(t, err)
	if opts.Challenges != nil {
		profile, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: modeltest.Name("profile"), Challenges: opts.Challenges})
		must(t, err)
		app, err = s.SetAppAuthProfile(ctx, app.ID, profile.ID)
		must(t, err)
	}
	return app
}

// EnrollUser enrolls the user in the mechanisms with the fixture values.
// TOTP is confirmed with a code of an earlier time step, so no step the
// tests use is spent.
func EnrollUser(t testing.TB, s *models.Store, userID string, mechanisms ...string) {
	t.Helper()
	ctx := context.Background()
	for _, m := range mechanisms {
		switch m {
		case models.MechOATH:
			now := s.Now
			past := now().Add(-time.Hour)
			s.Now = func() time.Time { return past }
			code, err := models.TOTPCode(TOTPSecret, past)
			must(t, err)
			err = s.EnrollTOTP(ctx, userID, TOTPSecret, code)
			s.Now = now
			must(t, err)
		case models.MechEmail:
			must(t, s.SetVerifiedEmail(ctx, userID, Email))
		case models.MechSMS:
			must(t, s.SetVerifiedMobile(ctx, userID, Mobile))
		case models.MechSecurityQuestion:
			must(t, s.SetSecurityQuestion(ctx, userID, SecurityQuestion, SecurityAnswer))
		}
	}
}

// Reload returns the fixture user as stored now.
func (f *Fixture) Reload(t testing.TB) *models.User {
	t.Helper()
	u, err := f.Store.UserByID(context.Background(), f.User.ID)
	must(t, err)
	return u
}

// MintToken returns a fresh icbt token for the fixture user.
func (f *Fixture) MintToken(t testing.TB) string {
	t.Helper()
	token, _, err := f.Store.MintUserToken(context.Background(), f.User, "test-client", "127.0.0.1")
	must(t, err)
	return token
}

// TOTPCode returns the fixture user's TOTP code at the clock's time.
func (f *Fixture) TOTPCode(t testing.TB) string {
	t.Helper()
	code, err := models.TOTPCode(TOTPSecret, f.Clock.Now())
	must(t, err)
	return code
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
