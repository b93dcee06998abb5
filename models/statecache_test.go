package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func newOAuthApp(t *testing.T, s *models.Store, applicationID string) *models.App {
	t.Helper()
	app, err := s.CreateApp(context.Background(), models.NewApp{Template: models.TemplateOAuthClient, Name: "Billing", ApplicationID: applicationID})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestStateCacheSeesOwnWritesAtOnce(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		app := newOAuthApp(t, s, "billing")
		if _, err := s.AppByApplicationID(ctx, "billing"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ScopesOfApp(ctx, app.ID); err != nil {
			t.Fatal(err)
		}

		disabled := false
		if _, err := s.UpdateAppSettings(ctx, app.ID, models.AppSettings{Enabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		got, err := s.AppByApplicationID(ctx, "billing")
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled {
			t.Error("AppByApplicationID still returns the app enabled after the store disabled it")
		}

		if _, err := s.CreateScope(ctx, app.ID, models.ScopeInput{Name: "read", Regexes: []string{"users/.*"}}); err != nil {
			t.Fatal(err)
		}
		scopes, err := s.ScopesOfApp(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(scopes) != 1 {
			t.Errorf("ScopesOfApp returns %d scopes after one was added, want 1", len(scopes))
		}
	})
}

func TestStateCacheSeesOtherConnectionWithinTTL(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			s := modeltest.OpenBackend(t, b, modeltest.FastSettings())
			other, err := models.OpenDB(ctx, b.Config, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if sqlDB, err := other.DB(); err == nil {
					sqlDB.Close()
				}
			})
			app := newOAuthApp(t, s, "billing")
			if _, err := s.AppByID(ctx, app.ID); err != nil {
				t.Fatal(err)
			}

			// The second connection stands for another instance.
			if err := other.Model(&models.App{}).Where("id = ?", app.ID).Update("enabled", false).Error; err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(models.StateCacheTTL + 2*time.Second)
			for {
				got, err := s.AppByID(ctx, app.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !got.Enabled {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the app disabled through another connection is still enabled after %s", models.StateCacheTTL+2*time.Second)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

func TestStateCacheKeepsNoRolledBackRows(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		app := newOAuthApp(t, s, "billing")
		errRollback := errors.New("roll back")
		err := s.InTx(ctx, func(tx *models.Store) error {
			if _, err := tx.CreateScope(ctx, app.ID, models.ScopeInput{Name: "read", Regexes: []string{"users/.*"}}); err != nil {
				return err
			}
			scopes, err := tx.ScopesOfApp(ctx, app.ID)
			if err != nil {
				return err
			}
			if len(scopes) != 1 {
				t.Errorf("inside the transaction ScopesOfApp returns %d scopes, want 1", len(scopes))
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v", err)
		}
		scopes, err := s.ScopesOfApp(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(scopes) != 0 {
			t.Errorf("after the rollback ScopesOfApp returns %d scopes, want 0", len(scopes))
		}
	})
}

func TestStateCacheReturnsCopies(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		app := newOAuthApp(t, s, "billing")
		first, err := s.AppByID(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		first.Name = "changed by a caller"
		*first.ApplicationID = "changed"
		second, err := s.AppByID(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if second.Name != "Billing" || second.AppIDString() != "billing" {
			t.Errorf("a caller's change to a returned app reached the cache: name %q, Application ID %q", second.Name, second.AppIDString())
		}
	})
}

func TestStateCacheRoleMembershipChange(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		admin, err := s.UserByLoginName(ctx, models.BootstrapAdminName)
		if err != nil {
			t.Fatal(err)
		}
		user, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("client"), Password: "client-secret-0001", IsOAuthClient: true})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.HasRight(ctx, user, models.RightMintUserTokens); err != nil || ok {
			t.Fatalf("HasRight before joining System Administrator = %v, %v", ok, err)
		}
		if err := s.AddRoleMember(ctx, admin, models.RoleSysAdmin, models.PrincipalUser, user.ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.HasRight(ctx, user, models.RightMintUserTokens); err != nil || !ok {
			t.Errorf("HasRight after joining System Administrator = %v, %v", ok, err)
		}
		if err := s.RemoveRoleMember(ctx, admin, models.RoleSysAdmin, models.PrincipalUser, user.ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.HasRight(ctx, user, models.RightMintUserTokens); err != nil || ok {
			t.Errorf("HasRight after leaving System Administrator = %v, %v", ok, err)
		}
	})
}
