package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestSeedDemoIsIdempotent(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		first, err := s.SeedDemo(ctx, "http://localhost:8080/")
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.SeedDemo(ctx, "http://localhost:8080")
		if err != nil {
			t.Fatal(err)
		}
		if *first != *second {
			t.Fatalf("second run changed the fixture:\n%+v\n%+v", first, second)
		}
		if first.ClientSecret == "" || first.TOTPSecret == "" || first.AppKey == "" {
			t.Fatalf("fixture lacks values: %+v", first)
		}
		if first.LaunchURL != "http://localhost:8080/demo/app" || first.FailureURL != "http://localhost:8080/demo/failed" {
			t.Errorf("urls: %s %s", first.LaunchURL, first.FailureURL)
		}

		client, err := s.UserByLoginName(ctx, first.ClientID)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Hasher.Verify(client.PasswordHash, first.ClientSecret); !ok {
			t.Error("client secret does not verify")
		}
		if !client.IsOAuthClient || !client.IsServiceUser {
			t.Error("client is not a confidential client")
		}
		if ok, _ := s.HasRight(ctx, client, models.RightMintUserTokens); !ok {
			t.Error("client cannot mint user tokens")
		}

		app, err := s.AppByApplicationID(ctx, first.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if !app.AllowClientCreds || app.AllowAuthCode || app.AllowImplicit || app.AllowResourceOwner {
			t.Errorf("demo app grants: %+v", app)
		}
		if rights, _ := s.AppRightsOf(ctx, client, app.ID); !rights.Run {
			t.Error("client lacks Run on the demo app")
		}
		scopes, _ := s.ScopesOfApp(ctx, app.ID)
		if len(scopes) != 1 || scopes[0].Name != "GetToken" || scopes[0].Regexes != "security/GetTokenForUser" {
			t.Errorf("scopes %+v", scopes)
		}

		web, err := s.AppByAppKey(ctx, first.AppKey)
		if err != nil {
			t.Fatal(err)
		}
		if web.AuthProfileID == nil {
			t.Fatal("web app has no policy")
		}
		profile, _ := s.AuthProfileByID(ctx, *web.AuthProfileID)
		if ch := profile.Challenges(); len(ch) != 1 || ch[0][0] != models.MechOATH {
			t.Errorf("profile challenges %v", ch)
		}
		user, _ := s.UserByLoginName(ctx, first.User)
		if rights, _ := s.AppRightsOf(ctx, user, web.ID); !rights.Run {
			t.Error("user cannot run the web app")
		}
		sealed, err := s.Keys.Open(models.PurposeTOTPSecret, user.TOTPSecretEnc)
		if err != nil || string(sealed) != first.TOTPSecret {
			t.Errorf("TOTP seed not stored sealed: %v", err)
		}
		if _, err := models.TOTPCode(first.TOTPSecret, time.Now()); err != nil {
			t.Errorf("TOTP secret unusable: %v", err)
		}
	})
}
