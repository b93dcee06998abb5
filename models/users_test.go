package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// testActor has no user id, so the store treats it as the server itself
// and checks no rights. The rights checks have their own tests.
var testActor = models.Actor{Name: "admin@portcullis.local", SourceIP: "192.0.2.1", RequestID: "req-0001"}

func createUser(t *testing.T, s *models.Store, in models.NewUser) *models.User {
	t.Helper()
	if in.Password == "" {
		in.Password = "password-0001"
	}
	u, err := s.CreateUserAudited(context.Background(), testActor, in)
	if err != nil {
		t.Fatalf("create %s: %v", in.LoginName, err)
	}
	return u
}

func ptr[T any](v T) *T { return &v }

func TestListUsersFiltersAndSorts(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		alice := createUser(t, s, models.NewUser{LoginName: "alice@example.test", DisplayName: "Alice Z", Email: "alice@example.test"})
		svc := createUser(t, s, models.NewUser{LoginName: "svc_1@example.test", DisplayName: "B service", IsServiceUser: true})
		bob := createUser(t, s, models.NewUser{LoginName: "bob@example.test", DisplayName: "Charlie"})
		if err := s.SetUserLocked(ctx, testActor, bob.ID, true); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name  string
			query models.UserQuery
			want  []string
		}{
			{"all by login name", models.UserQuery{}, []string{models.BootstrapAdminName, alice.LoginName, bob.LoginName, svc.LoginName}},
			{"descending", models.UserQuery{Desc: true}, []string{svc.LoginName, bob.LoginName, alice.LoginName, models.BootstrapAdminName}},
			{"by display name", models.UserQuery{Sort: "display_name"}, []string{models.BootstrapAdminName, alice.LoginName, svc.LoginName, bob.LoginName}},
			{"service users", models.UserQuery{Filter: models.UserFilterService}, []string{svc.LoginName}},
			{"locked", models.UserQuery{Filter: models.UserFilterLocked}, []string{bob.LoginName}},
			{"active", models.UserQuery{Filter: models.UserFilterActive}, []string{models.BootstrapAdminName, alice.LoginName, svc.LoginName}},
			{"search is case-insensitive", models.UserQuery{Search: "ALICE"}, []string{alice.LoginName}},
			{"search treats underscore literally", models.UserQuery{Search: "svc_"}, []string{svc.LoginName}},
			{"search treats percent literally", models.UserQuery{Search: "%"}, nil},
			{"injected sort falls back", models.UserQuery{Sort: "login_name; DROP TABLE users"}, []string{models.BootstrapAdminName, alice.LoginName, bob.LoginName, svc.LoginName}},
			{"case expression sort falls back", models.UserQuery{Sort: "(CASE WHEN 1=1 THEN login_name ELSE id END)"}, []string{models.BootstrapAdminName, alice.LoginName, bob.LoginName, svc.LoginName}},
			{"second page", models.UserQuery{Page: 2, PerPage: 3}, []string{svc.LoginName}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				page, err := s.ListUsers(ctx, tc.query)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, u := range page.Users {
					got = append(got, u.LoginName)
				}
				if strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
		page, err := s.ListUsers(ctx, models.UserQuery{PerPage: 3})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 4 || page.Pages() != 2 {
			t.Errorf("total %d pages %d, want 4 and 2", page.Total, page.Pages())
		}
	})
}

func TestUpdateUserSavesFalseAndEmpty(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := createUser(t, s, models.NewUser{
			LoginName: "carol@example.test", DisplayName: "Carol", Email: "carol@example.test",
			MobileNumber: "+1 555 0100", Description: "notes", RequirePasswordChange: true,
		})
		got, err := s.UpdateUser(ctx, testActor, u.ID, models.UserChanges{
			DisplayName: ptr(""), Email: ptr(""), MobileNumber: ptr(""), Description: ptr(""),
			RequirePasswordChange: ptr(false), IsServiceUser: ptr(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != "" || got.Email != "" || got.MobileNumber != "" || got.Description != "" {
			t.Errorf("cleared fields kept old values: %+v", got)
		}
		if got.RequirePasswordChange {
			t.Error("unticked Require password change was not saved")
		}
		reloaded, _ := s.UserByID(ctx, u.ID)
		if reloaded.DisplayName != "" || reloaded.RequirePasswordChange {
			t.Errorf("reload shows old values: %+v", reloaded)
		}
	})
}

func TestUpdateUserOAuthClientImpliesServiceUser(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := createUser(t, s, models.NewUser{LoginName: "dave@example.test"})
		got, err := s.UpdateUser(ctx, testActor, u.ID, models.UserChanges{
			IsOAuthClient: ptr(true), IsServiceUser: ptr(false), PasswordNeverExpires: ptr(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !got.IsOAuthClient || !got.IsServiceUser || !got.PasswordNeverExpires {
			t.Errorf("OAuth client flags not enforced: %+v", got)
		}
		for _, tc := range []struct {
			name  string
			in    models.UserChanges
			field string
		}{
			{"untick service user", models.UserChanges{IsServiceUser: ptr(false)}, "is_service_user"},
			{"untick password never expires", models.UserChanges{PasswordNeverExpires: ptr(false)}, "password_never_expires"},
			{"untick both, keep client", models.UserChanges{IsOAuthClient: ptr(true), IsServiceUser: ptr(false), PasswordNeverExpires: ptr(false)}, "is_service_user"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.UpdateUser(ctx, testActor, u.ID, tc.in)
				verrs, ok := models.AsValidationErrors(err)
				if !ok {
					t.Fatalf("got %v, want a field error on %s", err, tc.field)
				}
				if msg := verrs.ByField()[tc.field]; !strings.Contains(msg, "Untick Is OAuth confidential client first") {
					t.Errorf("message on %s is %q", tc.field, msg)
				}
				if got := reload(t, s, u.ID); !got.IsServiceUser || !got.PasswordNeverExpires {
					t.Errorf("flags changed: %+v", got)
				}
			})
		}
		got, err = s.UpdateUser(ctx, testActor, u.ID, models.UserChanges{IsOAuthClient: ptr(false), IsServiceUser: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		if got.IsOAuthClient || got.IsServiceUser {
			t.Errorf("unticking the client and service user flags together was not saved: %+v", got)
		}
	})
}

func reload(t *testing.T, s *models.Store, id string) *models.User {
	t.Helper()
	u, err := s.UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUpdateUserValidation(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := createUser(t, s, models.NewUser{LoginName: "erin@example.test"})
		createUser(t, s, models.NewUser{LoginName: "frank@example.test"})
		cases := []struct {
			name  string
			in    models.UserChanges
			field string
		}{
			{"duplicate login name in other case", models.UserChanges{LoginName: ptr("FRANK@example.test")}, "login_name"},
			{"login name without suffix", models.UserChanges{LoginName: ptr("erin")}, "login_name"},
			{"bad email", models.UserChanges{Email: ptr("not an address")}, "email"},
			{"bad mobile", models.UserChanges{MobileNumber: ptr("call me")}, "mobile_number"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.UpdateUser(ctx, testActor, u.ID, tc.in)
				verrs, ok := models.AsValidationErrors(err)
				if !ok {
					t.Fatalf("got %v, want validation errors", err)
				}
				if _, ok := verrs.ByField()[tc.field]; !ok {
					t.Errorf("no error on %s: %v", tc.field, verrs)
				}
			})
		}
		if _, err := s.UpdateUser(ctx, testActor, "1 OR 1=1", models.UserChanges{DisplayName: ptr("x")}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("non-UUID id: got %v, want ErrNotFound", err)
		}
	})
}

func TestCreateUserAuditedReportsAllFields(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		_, err := s.CreateUserAudited(context.Background(), testActor, models.NewUser{
			LoginName: "no-suffix", Email: "bad", Password: "short",
		})
		verrs, ok := models.AsValidationErrors(err)
		if !ok {
			t.Fatalf("got %v, want validation errors", err)
		}
		for _, f := range []string{"login_name", "email", "password"} {
			if _, ok := verrs.ByField()[f]; !ok {
				t.Errorf("no error on %s", f)
			}
		}
	})
}

func TestUserStateChangesAreAudited(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := createUser(t, s, models.NewUser{LoginName: "gina@example.test"})
		steps := []struct {
			name   string
			action string
			run    func() error
			check  func(u *models.User) bool
		}{
			{"lock", "user.lock", func() error { return s.SetUserLocked(ctx, testActor, u.ID, true) }, func(u *models.User) bool { return u.Locked }},
			{"unlock", "user.unlock", func() error { return s.SetUserLocked(ctx, testActor, u.ID, false) }, func(u *models.User) bool { return !u.Locked && u.LockedUntil == nil }},
			{"disable", "user.disable", func() error { return s.SetUserDisabled(ctx, testActor, u.ID, true) }, func(u *models.User) bool { return u.Disabled }},
			{"enable", "user.enable", func() error { return s.SetUserDisabled(ctx, testActor, u.ID, false) }, func(u *models.User) bool { return !u.Disabled }},
			{"reset password", "user.reset_password", func() error { return s.ResetPassword(ctx, testActor, u.ID, "new-password-0002", true) }, func(u *models.User) bool {
				ok, _ := s.Hasher.Verify(u.PasswordHash, "new-password-0002")
				return ok && u.RequirePasswordChange
			}},
			{"reset MFA", "user.reset_mfa", func() error { return s.ResetMFA(ctx, testActor, u.ID) }, func(u *models.User) bool { return !u.HasTOTP() && u.SecurityQuestion == "" }},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if err := st.run(); err != nil {
					t.Fatal(err)
				}
				got, err := s.UserByID(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !st.check(got) {
					t.Errorf("state after %s is wrong: %+v", st.name, got)
				}
				page, err := s.ListAudit(ctx, models.AuditQuery{Action: st.action, Object: u.LoginName})
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != 1 {
					t.Fatalf("%d audit events for %s, want 1", page.Total, st.action)
				}
				ev := page.Events[0]
				if ev.ActorName != testActor.Name || ev.SourceIP != testActor.SourceIP || ev.RequestID != testActor.RequestID || ev.ObjectID != u.ID {
					t.Errorf("audit event %+v does not name actor, source and object", ev)
				}
			})
		}
		if err := s.ResetPassword(ctx, testActor, u.ID, "short", false); err == nil {
			t.Error("a short password was accepted")
		}
		page, _ := s.ListAudit(ctx, models.AuditQuery{Object: u.LoginName})
		for _, ev := range page.Events {
			if strings.Contains(ev.Details, "new-password") {
				t.Errorf("audit details contain the password: %+v", ev)
			}
		}
	})
}

func TestDeleteUserRemovesMemberships(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		admin, err := s.UserByLoginName(ctx, models.BootstrapAdminName)
		if err != nil {
			t.Fatal(err)
		}
		u := createUser(t, s, models.NewUser{LoginName: "hank@example.test"})
		if err := s.AddRoleMember(ctx, admin, models.RoleSysAdmin, models.PrincipalUser, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUser(ctx, testActor, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByID(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("user still there: %v", err)
		}
		members, _ := s.RoleMembers(ctx, models.RoleSysAdmin)
		for _, m := range members {
			if m.MemberID == u.ID {
				t.Error("membership of the deleted user is left behind")
			}
		}
		if err := s.DeleteUser(ctx, testActor, u.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second delete: got %v, want ErrNotFound", err)
		}
	})
}

func TestListAuditFilters(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		base := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
		for i, e := range []struct{ actor, action, object string }{
			{"root@x.test", "user.create", "a@x.test"},
			{"root@x.test", "user.delete", "a@x.test"},
			{"ops@x.test", "role.update", "Ops_Role"},
		} {
			s.Now = func() time.Time { return base.Add(time.Duration(i) * time.Hour) }
			if err := s.RecordAudit(ctx, models.Actor{Name: e.actor}, models.AuditEntry{Action: e.action, ObjectType: "x", ObjectName: e.object}); err != nil {
				t.Fatal(err)
			}
		}
		from, to := base.Add(30*time.Minute), base.Add(3*time.Hour)
		cases := []struct {
			name  string
			query models.AuditQuery
			want  []string
		}{
			{"actor", models.AuditQuery{Actor: "ROOT@"}, []string{"user.delete", "user.create"}},
			{"action prefix", models.AuditQuery{Action: "user."}, []string{"user.delete", "user.create"}},
			{"exact action", models.AuditQuery{Action: "role.update"}, []string{"role.update"}},
			{"object", models.AuditQuery{Object: "ops_role"}, []string{"role.update"}},
			{"wildcard in object is literal", models.AuditQuery{Object: "%"}, nil},
			{"date range", models.AuditQuery{From: &from, To: &to}, []string{"role.update", "user.delete"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				page, err := s.ListAudit(ctx, tc.query)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, ev := range page.Events {
					if ev.Action != "bootstrap" {
						got = append(got, ev.Action)
					}
				}
				if strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
	})
}
