package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func fieldMessage(t *testing.T, err error, field string) string {
	t.Helper()
	verrs, ok := models.AsValidationErrors(err)
	if !ok {
		t.Fatalf("want validation errors on %s, got %v", field, err)
	}
	msg, ok := verrs.ByField()[field]
	if !ok {
		t.Fatalf("want an error on %s, got %v", field, err)
	}
	return msg
}

func TestAppsStore(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		app, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "Demo", ApplicationID: "Demo-App"})
		if err != nil {
			t.Fatal(err)
		}
		if !app.AllowClientCreds || app.TokenLifetime().Hours() != 5 {
			t.Errorf("new OAuth Client defaults: creds=%v lifetime=%v", app.AllowClientCreds, app.TokenLifetime())
		}

		t.Run("application id is unique case-insensitively", func(t *testing.T) {
			_, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "Other", ApplicationID: "demo-app"})
			fieldMessage(t, err, "application_id")
		})
		t.Run("application id rejects spaces", func(t *testing.T) {
			_, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "Other", ApplicationID: "my app"})
			fieldMessage(t, err, "application_id")
		})
		t.Run("lookup by application id ignores case", func(t *testing.T) {
			got, err := s.AppByApplicationID(ctx, "DEMO-APP")
			if err != nil || got.ID != app.ID {
				t.Fatalf("got %v, %v", got, err)
			}
		})
		t.Run("lookup rejects injection text", func(t *testing.T) {
			if _, err := s.AppByApplicationID(ctx, "x' OR '1'='1"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
			if _, err := s.AppByID(ctx, "1 OR 1=1"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
		t.Run("unticked boxes and disabled state persist", func(t *testing.T) {
			if _, err := s.UpdateAppTokens(ctx, app.ID, models.AppTokens{LifetimeSeconds: 600}); err != nil {
				t.Fatal(err)
			}
			off := false
			empty := ""
			if _, err := s.UpdateAppSettings(ctx, app.ID, models.AppSettings{Enabled: &off, Description: &empty}); err != nil {
				t.Fatal(err)
			}
			got, _ := s.AppByID(ctx, app.ID)
			if got.AllowClientCreds || got.Enabled || got.Description != "" || got.TokenLifetimeSeconds != 600 {
				t.Fatalf("changes not saved: %+v", got)
			}
		})
	})
}

func TestScopesStore(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		app, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "Scoped", ApplicationID: "scoped"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateScope(ctx, app.ID, models.ScopeInput{Name: "GetToken", Regexes: []string{"security/GetTokenForUser"}}); err != nil {
			t.Fatal(err)
		}

		_, err = s.CreateScope(ctx, app.ID, models.ScopeInput{Name: "bad", Regexes: []string{"users/(unclosed"}})
		if msg := fieldMessage(t, err, "regexes"); !strings.Contains(msg, "missing closing )") {
			t.Errorf("parser message not kept: %q", msg)
		}
		_, err = s.CreateScope(ctx, app.ID, models.ScopeInput{Name: "empty", Regexes: []string{"", "  "}})
		fieldMessage(t, err, "regexes")
		_, err = s.CreateScope(ctx, app.ID, models.ScopeInput{Name: "GetToken", Regexes: []string{".*"}})
		fieldMessage(t, err, "name")

		scopes, err := s.ScopesOfApp(ctx, app.ID)
		if err != nil || len(scopes) != 1 {
			t.Fatalf("scopes %v, %v", scopes, err)
		}
		rules := models.ScopeRules(scopes, []string{"GetToken"})
		if _, ok := models.MatchScopes("/security/GetTokenForUser", rules); !ok {
			t.Error("GetToken scope does not allow its path")
		}
		if _, ok := models.MatchScopes("/security/GetTokenForUserX", rules); ok {
			t.Error("scope matched a longer path")
		}
		if rules := models.ScopeRules(scopes, []string{}); len(rules) != 0 {
			t.Errorf("no granted scopes still gave rules: %v", rules)
		}
	})
}

func TestRolesAndAppRights(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		admin, _ := s.UserByLoginName(ctx, models.BootstrapAdminName)
		client, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("client"), Password: "client-secret-0001", IsOAuthClient: true})
		if err != nil {
			t.Fatal(err)
		}
		if !client.IsServiceUser || !client.PasswordNeverExpires {
			t.Error("OAuth confidential client is not a service user with a non-expiring password")
		}
		plain, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("plain"), Password: "plain-password-01"})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("only sysadmins change System Administrator", func(t *testing.T) {
			if err := s.AddRoleMember(ctx, plain, models.RoleSysAdmin, models.PrincipalUser, plain.ID); !errors.Is(err, models.ErrSysAdminMembership) {
				t.Fatalf("non-member changed System Administrator: %v", err)
			}
			if err := s.AddRoleMember(ctx, admin, models.RoleSysAdmin, models.PrincipalUser, client.ID); err != nil {
				t.Fatal(err)
			}
			ok, _ := s.HasRight(ctx, client, models.RightMintUserTokens)
			if !ok {
				t.Error("client in System Administrator lacks the mint right")
			}
		})

		t.Run("nested roles give app rights and reject cycles", func(t *testing.T) {
			outer, err := s.CreateRole(ctx, models.RoleInput{Name: "Outer " + client.ID})
			if err != nil {
				t.Fatal(err)
			}
			inner, err := s.CreateRole(ctx, models.RoleInput{Name: "Inner " + client.ID, Rights: []string{models.RightAuditRead}})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.AddRoleMember(ctx, admin, outer.ID, models.PrincipalRole, inner.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.AddRoleMember(ctx, admin, inner.ID, models.PrincipalRole, outer.ID); err == nil {
				t.Fatal("cycle accepted")
			}
			if err := s.AddRoleMember(ctx, admin, inner.ID, models.PrincipalUser, plain.ID); err != nil {
				t.Fatal(err)
			}
			app, _ := s.CreateApp(ctx, models.NewApp{Template: models.TemplateWebApp, Name: "Web"})
			if err := s.SetAppPermission(ctx, app.ID, models.PermissionInput{PrincipalType: models.PrincipalRole, PrincipalID: outer.ID, Run: true}); err != nil {
				t.Fatal(err)
			}
			rights, err := s.AppRightsOf(ctx, plain, app.ID)
			if err != nil || !rights.Run || rights.View {
				t.Fatalf("rights through nested role: %+v, %v", rights, err)
			}
			if ok, _ := s.HasRight(ctx, plain, models.RightAuditRead); !ok {
				t.Error("right of the inner role not held")
			}
			if err := s.DeleteRole(ctx, models.RoleSysAdmin); !errors.Is(err, models.ErrBuiltInRole) {
				t.Errorf("deleting System Administrator: %v", err)
			}
			if _, err := s.UpdateRole(ctx, models.RoleSysAdmin, models.RoleInput{Name: "Root"}); err == nil {
				t.Error("System Administrator renamed")
			}
		})
	})
}

func TestAuthProfiles(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		p, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{
			Name:       "TOTP then question",
			Challenges: [][]string{{models.MechOATH}, nil, {models.MechSecurityQuestion, models.MechEmail}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := p.Challenges()
		if len(got) != 2 || got[0][0] != models.MechOATH || len(got[1]) != 2 {
			t.Fatalf("challenges %v", got)
		}
		_, err = s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: "bad", Challenges: [][]string{{"carrier-pigeon"}}})
		fieldMessage(t, err, "challenge1")

		app, _ := s.CreateApp(ctx, models.NewApp{Template: models.TemplateWebApp, Name: "Launch"})
		if _, err := s.SetAppAuthProfile(ctx, app.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAuthProfile(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		after, _ := s.AppByID(ctx, app.ID)
		if after.AuthProfileID != nil {
			t.Errorf("app still points at the deleted profile")
		}
	})
}

func TestAddRoleMemberTwiceInTransaction(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		admin, _ := s.UserByLoginName(ctx, models.BootstrapAdminName)
		role, err := s.CreateRole(ctx, models.RoleInput{Name: "Twice"})
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *models.Store) error {
			for i := 0; i < 2; i++ {
				if err := tx.AddRoleMember(ctx, admin, role.ID, models.PrincipalUser, admin.ID); err != nil {
					return err
				}
			}
			// A failed statement would have aborted the transaction on
			// PostgreSQL, and this query would fail with it.
			_, err := tx.RoleMembers(ctx, role.ID)
			return err
		})
		if err != nil {
			t.Fatalf("adding a member twice in one transaction: %v", err)
		}
		members, _ := s.RoleMembers(ctx, role.ID)
		if len(members) != 1 {
			t.Errorf("%d members, want 1", len(members))
		}
	})
}

func TestRecordAuditStoresAnyText(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		err := s.RecordAudit(ctx, models.Actor{Name: "bad\x00name\xff"}, models.AuditEntry{
			Action: "test.audit", ObjectName: "a\x00b\xc3\x28", Details: strings.Repeat("é", 3000),
		})
		if err != nil {
			t.Fatalf("audit event with NUL and invalid UTF-8 not stored: %v", err)
		}
	})
}
