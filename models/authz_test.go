package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// authzFixture is a store with administrators of different reach.
type authzFixture struct {
	s    *models.Store
	root *models.User // the bootstrap administrator, in System Administrator
	// helpdesk holds Admin Portal Login and User Management only.
	helpdesk *models.User
	// roleAdmin holds Admin Portal Login and Role Management only,
	// through roleAdminRole.
	roleAdmin     *models.User
	roleAdminRole *models.Role
}

func newAuthzFixture(t *testing.T, s *models.Store) *authzFixture {
	t.Helper()
	ctx := context.Background()
	root, err := s.UserByLoginName(ctx, models.BootstrapAdminName)
	if err != nil {
		t.Fatal(err)
	}
	f := &authzFixture{s: s, root: root}
	f.helpdesk = createUser(t, s, models.NewUser{LoginName: "helpdesk@example.test"})
	f.grant(t, f.helpdesk, "Helpdesk", models.RightAdminPortalLogin, models.RightUserManagement)
	f.roleAdmin = createUser(t, s, models.NewUser{LoginName: "role-admin@example.test"})
	f.roleAdminRole = f.grant(t, f.roleAdmin, "Role Admins", models.RightAdminPortalLogin, models.RightRoleManagement)
	return f
}

// grant puts the user in a new role with the rights, as the server itself.
func (f *authzFixture) grant(t *testing.T, u *models.User, name string, rights ...string) *models.Role {
	t.Helper()
	ctx := context.Background()
	role, err := f.s.CreateRole(ctx, models.RoleInput{Name: name, Rights: rights})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddRoleMember(ctx, nil, role.ID, models.PrincipalUser, u.ID); err != nil {
		t.Fatal(err)
	}
	return role
}

func (f *authzFixture) addToSysAdmin(t *testing.T, memberType, memberID string) {
	t.Helper()
	if err := f.s.AddRoleMember(context.Background(), f.root, models.RoleSysAdmin, memberType, memberID); err != nil {
		t.Fatal(err)
	}
}

func actorFor(u *models.User) models.Actor {
	return models.Actor{UserID: u.ID, Name: u.LoginName, SourceIP: "192.0.2.9", RequestID: "req-authz"}
}

// userChange is one store method that changes a user.
type userChange struct {
	name   string
	action string
	run    func(s *models.Store, actor models.Actor, id string) error
}

var userChanges = []userChange{
	{"reset password", "user.reset_password", func(s *models.Store, a models.Actor, id string) error {
		return s.ResetPassword(context.Background(), a, id, "taken-over-0001", false)
	}},
	{"lock", "user.lock", func(s *models.Store, a models.Actor, id string) error {
		return s.SetUserLocked(context.Background(), a, id, true)
	}},
	{"unlock", "user.unlock", func(s *models.Store, a models.Actor, id string) error {
		return s.SetUserLocked(context.Background(), a, id, false)
	}},
	{"disable", "user.disable", func(s *models.Store, a models.Actor, id string) error {
		return s.SetUserDisabled(context.Background(), a, id, true)
	}},
	{"enable", "user.enable", func(s *models.Store, a models.Actor, id string) error {
		return s.SetUserDisabled(context.Background(), a, id, false)
	}},
	{"reset MFA", "user.reset_mfa", func(s *models.Store, a models.Actor, id string) error {
		return s.ResetMFA(context.Background(), a, id)
	}},
	{"change email", "user.update", func(s *models.Store, a models.Actor, id string) error {
		_, err := s.UpdateUser(context.Background(), a, id, models.UserChanges{Email: ptr("attacker@example.test")})
		return err
	}},
	{"rename", "user.update", func(s *models.Store, a models.Actor, id string) error {
		_, err := s.UpdateUser(context.Background(), a, id, models.UserChanges{LoginName: ptr("renamed-" + id[:8] + "@example.test")})
		return err
	}},
	{"delete", "user.delete", func(s *models.Store, a models.Actor, id string) error {
		return s.DeleteUser(context.Background(), a, id)
	}},
}

func TestUserChangeNeedsActorRights(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newAuthzFixture(t, s)

		direct := createUser(t, s, models.NewUser{LoginName: "second-admin@example.test"})
		f.addToSysAdmin(t, models.PrincipalUser, direct.ID)

		ops, err := s.CreateRole(ctx, models.RoleInput{Name: "Operators"})
		if err != nil {
			t.Fatal(err)
		}
		f.addToSysAdmin(t, models.PrincipalRole, ops.ID)
		nested := createUser(t, s, models.NewUser{LoginName: "nested-admin@example.test"})
		if err := s.AddRoleMember(ctx, f.root, ops.ID, models.PrincipalUser, nested.ID); err != nil {
			t.Fatal(err)
		}

		client := createUser(t, s, models.NewUser{LoginName: "minting-client@example.test", IsOAuthClient: true})
		f.addToSysAdmin(t, models.PrincipalUser, client.ID)

		appAdmin := createUser(t, s, models.NewUser{LoginName: "app-admin@example.test"})
		f.grant(t, appAdmin, "App Admins", models.RightAdminPortalLogin, models.RightApplicationManagement)

		targets := []struct {
			name   string
			user   *models.User
			reason string
		}{
			{"direct System Administrator", direct, "Only members of System Administrator may change"},
			{"System Administrator through a nested role", nested, "Only members of System Administrator may change"},
			{"OAuth client in System Administrator", client, "Only members of System Administrator may change"},
			{"holder of a right the actor lacks", appAdmin, "holds rights you do not hold: Application Management"},
		}
		for _, target := range targets {
			for _, op := range userChanges {
				t.Run(target.name+"/"+op.name, func(t *testing.T) {
					before := reload(t, s, target.user.ID)
					err := op.run(s, actorFor(f.helpdesk), target.user.ID)
					if !errors.Is(err, models.ErrForbidden) {
						t.Fatalf("got %v, want ErrForbidden", err)
					}
					var denied *models.DeniedError
					if !errors.As(err, &denied) || !strings.Contains(denied.Reason, target.reason) {
						t.Errorf("reason %q, want it to contain %q", err, target.reason)
					}
					after := reload(t, s, target.user.ID)
					if after.PasswordHash != before.PasswordHash || after.Email != before.Email || after.LoginName != before.LoginName ||
						after.Locked != before.Locked || after.Disabled != before.Disabled {
						t.Errorf("user changed despite the denial: %+v", after)
					}
					assertDenialAudited(t, s, op.action, target.user, f.helpdesk)
				})
			}
		}

		t.Run("members of System Administrator change each other", func(t *testing.T) {
			for _, op := range userChanges {
				if op.name == "delete" {
					continue
				}
				if err := op.run(s, actorFor(f.root), direct.ID); err != nil {
					t.Errorf("%s: %v", op.name, err)
				}
			}
		})
	})
}

// assertDenialAudited checks that exactly one failed event of the action
// names the target and the actor.
func assertDenialAudited(t *testing.T, s *models.Store, action string, target, actor *models.User) {
	t.Helper()
	page, err := s.ListAudit(context.Background(), models.AuditQuery{Action: action, Object: target.ID, PerPage: models.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var denials []models.AuditEvent
	for _, ev := range page.Events {
		if ev.Outcome == models.OutcomeFailure && ev.ActorID == actor.ID {
			denials = append(denials, ev)
		}
	}
	if len(denials) == 0 {
		t.Fatalf("no failed %s event for %s by %s", action, target.LoginName, actor.LoginName)
	}
	if ev := denials[0]; ev.ObjectID != target.ID || !strings.Contains(ev.Details, "denied") {
		t.Errorf("denial event %+v does not name the object and the reason", ev)
	}
}

func TestUserChangeWithinActorRights(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := newAuthzFixture(t, s)
		plain := createUser(t, s, models.NewUser{LoginName: "plain@example.test"})
		peer := createUser(t, s, models.NewUser{LoginName: "peer@example.test"})
		f.grant(t, peer, "Peers", models.RightUserManagement)

		for _, target := range []*models.User{plain, peer} {
			for _, op := range userChanges {
				t.Run(target.LoginName+"/"+op.name, func(t *testing.T) {
					if err := op.run(s, actorFor(f.helpdesk), target.ID); err != nil {
						t.Errorf("got %v, want success", err)
					}
				})
			}
		}
		if err := s.ResetPassword(context.Background(), actorFor(f.helpdesk), f.helpdesk.ID, "my-own-password-01", false); err != nil {
			t.Errorf("own password: %v", err)
		}
	})
}

func TestUserChangeByUnknownActor(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		plain := createUser(t, s, models.NewUser{LoginName: "plain@example.test"})
		ghost := models.Actor{UserID: "00000000-0000-0000-0000-000000000001", Name: "ghost@example.test"}
		if err := s.SetUserDisabled(context.Background(), ghost, plain.ID, true); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("got %v, want ErrForbidden", err)
		}
		if reload(t, s, plain.ID).Disabled {
			t.Error("a deleted administrator's request disabled a user")
		}
	})
}

func TestLastAdministratorKept(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newAuthzFixture(t, s)
		root := f.root
		system := models.Actor{Name: "test"}

		// An OAuth client in System Administrator cannot sign in, so it
		// does not keep a seat.
		client := createUser(t, s, models.NewUser{LoginName: "client@example.test", IsOAuthClient: true})
		f.addToSysAdmin(t, models.PrincipalUser, client.ID)

		steps := []struct {
			name string
			run  func() error
		}{
			{"delete", func() error { return s.DeleteUser(ctx, system, root.ID) }},
			{"disable", func() error { return s.SetUserDisabled(ctx, system, root.ID, true) }},
			{"lock", func() error { return s.SetUserLocked(ctx, system, root.ID, true) }},
			{"make a service user", func() error {
				_, err := s.UpdateUser(ctx, system, root.ID, models.UserChanges{IsServiceUser: ptr(true)})
				return err
			}},
			{"leave System Administrator", func() error {
				return s.InTx(ctx, func(tx *models.Store) error {
					return tx.RemoveRoleMember(ctx, root, models.RoleSysAdmin, models.PrincipalUser, root.ID)
				})
			}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if err := st.run(); !errors.Is(err, models.ErrLastAdministrator) {
					t.Fatalf("got %v, want ErrLastAdministrator", err)
				}
				if ok, _ := s.IsSysAdmin(ctx, root); !ok {
					t.Error("the last administrator left System Administrator")
				}
				got := reload(t, s, root.ID)
				if got.Disabled || got.Locked || got.IsServiceUser {
					t.Errorf("the last administrator was changed: %+v", got)
				}
			})
		}

		t.Run("delete the role holding the last seat", func(t *testing.T) {
			ops, err := s.CreateRole(ctx, models.RoleInput{Name: "Operators"})
			if err != nil {
				t.Fatal(err)
			}
			f.addToSysAdmin(t, models.PrincipalRole, ops.ID)
			other := createUser(t, s, models.NewUser{LoginName: "operator@example.test"})
			if err := s.AddRoleMember(ctx, root, ops.ID, models.PrincipalUser, other.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteUser(ctx, actorFor(other), root.ID); err != nil {
				t.Fatalf("delete the first administrator while another remains: %v", err)
			}
			err = s.InTx(ctx, func(tx *models.Store) error { return tx.DeleteRoleAs(ctx, other, ops.ID) })
			if !errors.Is(err, models.ErrLastAdministrator) {
				t.Errorf("got %v, want ErrLastAdministrator", err)
			}
			if _, err := s.RoleByID(ctx, ops.ID); err != nil {
				t.Errorf("role gone: %v", err)
			}
		})
	})
}

func TestRoleRightsNeedActorRights(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newAuthzFixture(t, s)
		actor := f.roleAdmin
		apps, err := s.CreateRole(ctx, models.RoleInput{Name: "App Admins", Rights: []string{models.RightApplicationManagement}})
		if err != nil {
			t.Fatal(err)
		}
		logins, err := s.CreateRole(ctx, models.RoleInput{Name: "Portal Users", Rights: []string{models.RightAdminPortalLogin}})
		if err != nil {
			t.Fatal(err)
		}
		ops, err := s.CreateRole(ctx, models.RoleInput{Name: "Operators"})
		if err != nil {
			t.Fatal(err)
		}
		f.addToSysAdmin(t, models.PrincipalRole, ops.ID)
		inTx := func(fn func(tx *models.Store) error) error { return s.InTx(ctx, fn) }

		denied := []struct {
			name string
			run  func() error
		}{
			{"create a role with a right the actor lacks", func() error {
				_, err := s.CreateRoleAs(ctx, actor, models.RoleInput{Name: "Everything", Rights: models.AllRights})
				return err
			}},
			{"give its own role every right", func() error {
				_, err := s.UpdateRoleAs(ctx, actor, f.roleAdminRole.ID, models.RoleInput{Name: f.roleAdminRole.Name, Rights: models.AllRights})
				return err
			}},
			{"edit a role with a right the actor lacks", func() error {
				_, err := s.UpdateRoleAs(ctx, actor, apps.ID, models.RoleInput{Name: "Renamed"})
				return err
			}},
			{"edit System Administrator", func() error {
				_, err := s.UpdateRoleAs(ctx, actor, models.RoleSysAdmin, models.RoleInput{Name: "System Administrator", Description: "x"})
				return err
			}},
			{"delete a role with a right the actor lacks", func() error {
				return inTx(func(tx *models.Store) error { return tx.DeleteRoleAs(ctx, actor, apps.ID) })
			}},
			{"join a role with a right the actor lacks", func() error {
				return inTx(func(tx *models.Store) error {
					return tx.AddRoleMember(ctx, actor, apps.ID, models.PrincipalUser, actor.ID)
				})
			}},
			{"add someone else to such a role", func() error {
				return inTx(func(tx *models.Store) error {
					return tx.AddRoleMember(ctx, actor, apps.ID, models.PrincipalUser, f.helpdesk.ID)
				})
			}},
			{"nest such a role in its own role", func() error {
				return inTx(func(tx *models.Store) error {
					return tx.AddRoleMember(ctx, actor, f.roleAdminRole.ID, models.PrincipalRole, apps.ID)
				})
			}},
			{"nest its own role in such a role", func() error {
				return inTx(func(tx *models.Store) error {
					return tx.AddRoleMember(ctx, actor, apps.ID, models.PrincipalRole, f.roleAdminRole.ID)
				})
			}},
			{"join a role nested in System Administrator", func() error {
				return inTx(func(tx *models.Store) error {
					return tx.AddRoleMember(ctx, actor, ops.ID, models.PrincipalUser, actor.ID)
				})
			}},
			{"nest its own role in System Administrator", func() error {
				return inTx(func(tx *models.Store) error {
					return tx.AddRoleMember(ctx, actor, models.RoleSysAdmin, models.PrincipalRole, f.roleAdminRole.ID)
				})
			}},
			{"remove a member of a role with a right the actor lacks", func() error {
				if err := s.AddRoleMember(ctx, nil, apps.ID, models.PrincipalUser, f.helpdesk.ID); err != nil {
					return err
				}
				return inTx(func(tx *models.Store) error {
					return tx.RemoveRoleMember(ctx, actor, apps.ID, models.PrincipalUser, f.helpdesk.ID)
				})
			}},
		}
		for _, tc := range denied {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.run(); !errors.Is(err, models.ErrForbidden) {
					t.Fatalf("got %v, want ErrForbidden", err)
				}
			})
		}
		rights, err := s.RightsOf(ctx, actor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []string{models.RightUserManagement, models.RightApplicationManagement, models.RightMintUserTokens, models.RightAuditRead} {
			if rights[r] {
				t.Errorf("the role administrator gained %s", r)
			}
		}
		if role, _ := s.RoleByID(ctx, apps.ID); role.Name != "App Admins" {
			t.Errorf("the role was renamed to %q", role.Name)
		}

		allowed := []struct {
			name string
			run  func() error
		}{
			{"create a role with rights the actor holds", func() error {
				_, err := s.CreateRoleAs(ctx, actor, models.RoleInput{Name: "Delegates", Rights: []string{models.RightRoleManagement}})
				return err
			}},
			{"edit a role within the actor's rights", func() error {
				_, err := s.UpdateRoleAs(ctx, actor, logins.ID, models.RoleInput{Name: "Portal Users", Description: "can sign in"})
				return err
			}},
			{"add a member to a role within the actor's rights", func() error {
				return inTx(func(tx *models.Store) error {
					return tx.AddRoleMember(ctx, actor, logins.ID, models.PrincipalUser, f.helpdesk.ID)
				})
			}},
			{"delete a role within the actor's rights", func() error {
				return inTx(func(tx *models.Store) error { return tx.DeleteRoleAs(ctx, actor, logins.ID) })
			}},
			{"System Administrator edits any role", func() error {
				_, err := s.UpdateRoleAs(ctx, f.root, apps.ID, models.RoleInput{Name: "App Admins", Rights: models.AllRights})
				return err
			}},
		}
		for _, tc := range allowed {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.run(); err != nil {
					t.Errorf("got %v, want success", err)
				}
			})
		}
	})
}

func TestRoleDenialsAudited(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newAuthzFixture(t, s)
		entry := models.AuditEntry{Action: "role.update", ObjectType: "role", ObjectID: f.roleAdminRole.ID, ObjectName: f.roleAdminRole.Name}
		err := s.Audited(ctx, actorFor(f.roleAdmin), entry, func(tx *models.Store, _ *models.AuditEntry) error {
			_, err := tx.UpdateRoleAs(ctx, f.roleAdmin, f.roleAdminRole.ID, models.RoleInput{Name: f.roleAdminRole.Name, Rights: models.AllRights})
			return err
		})
		if !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("got %v, want ErrForbidden", err)
		}
		page, err := s.ListAudit(ctx, models.AuditQuery{Action: "role.update", Object: f.roleAdminRole.ID})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 1 || page.Events[0].Outcome != models.OutcomeFailure || !strings.Contains(page.Events[0].Details, "You may grant only rights you hold") {
			t.Errorf("denial not audited as a failure: %+v", page.Events)
		}
	})
}

func TestAppGrantNeedsApplicationManagement(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		f := newAuthzFixture(t, s)
		app, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateWebApp, Name: "Payroll"})
		if err != nil {
			t.Fatal(err)
		}
		grant := models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: f.helpdesk.ID, Grant: true, Run: true}
		if err := s.SetAppPermissionAs(ctx, f.roleAdmin, app.ID, grant); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("Grant without Application Management: got %v, want ErrForbidden", err)
		}
		if rights, _ := s.AppRightsOf(ctx, f.helpdesk, app.ID); rights.Grant || rights.Run {
			t.Errorf("denied permission was saved: %+v", rights)
		}
		run := grant
		run.Grant = false
		if err := s.SetAppPermissionAs(ctx, f.roleAdmin, app.ID, run); err != nil {
			t.Errorf("Run only: %v", err)
		}
		appAdmin := createUser(t, s, models.NewUser{LoginName: "app-admin@example.test"})
		f.grant(t, appAdmin, "App Admins", models.RightApplicationManagement)
		if err := s.SetAppPermissionAs(ctx, appAdmin, app.ID, grant); err != nil {
			t.Errorf("Grant by an application administrator: %v", err)
		}
	})
}
