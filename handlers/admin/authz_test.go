package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
)

// apiClientAs signs in as the user and fetches the session's CSRF token
// for the API.
func (e *env) apiClientAs(loginName, password string) *client {
	e.t.Helper()
	c := e.client()
	c.signIn(loginName, password)
	r := c.api("GET", "/api/admin/session", nil)
	var s struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(r.env.Result, &s); err != nil || s.CSRFToken == "" {
		e.t.Fatalf("session of %s: %d %s", loginName, r.status, r.body)
	}
	c.csrf = s.CSRFToken
	return c
}

// deniedEvents counts failed audit events of the action on the object.
func (e *env) deniedEvents(action, objectID string) int {
	e.t.Helper()
	page, err := e.store.ListAudit(context.Background(), models.AuditQuery{Action: action, Object: objectID, PerPage: models.MaxPageSize})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, ev := range page.Events {
		if ev.Outcome == models.OutcomeFailure {
			n++
		}
	}
	return n
}

func (e *env) rootAdmin() *models.User {
	e.t.Helper()
	root, err := e.store.UserByLoginName(context.Background(), models.BootstrapAdminName)
	if err != nil {
		e.t.Fatal(err)
	}
	return root
}

func TestUserManagerCannotTakeOverSysAdmin(t *testing.T) {
	e := newEnv(t)
	helpdesk := e.createUser(models.NewUser{LoginName: "helpdesk@example.test", Password: "password-0001"})
	e.grantRights(helpdesk.ID, models.RightAdminPortalLogin, models.RightUserManagement)
	second := e.createUser(models.NewUser{LoginName: "second-admin@example.test", Password: "second-password-01"})
	e.addToSysAdmin(second.ID)
	client := e.createUser(models.NewUser{LoginName: "minting-client@example.test", Password: "client-secret-0001", IsOAuthClient: true})
	e.addToSysAdmin(client.ID)
	plain := e.createUser(models.NewUser{LoginName: "plain@example.test"})

	c := e.apiClientAs(helpdesk.LoginName, "password-0001")
	for _, target := range []*models.User{e.rootAdmin(), second, client} {
		cases := []struct {
			name, method, path, action string
			body                       any
		}{
			{"reset password", "POST", "/password", "user.reset_password", map[string]any{"password": "taken-over-0001"}},
			{"change email", "PATCH", "", "user.update", map[string]any{"email": "attacker@example.test"}},
			{"rename", "PATCH", "", "user.update", map[string]any{"login_name": "renamed@example.test"}},
			{"lock", "POST", "/lock", "user.lock", nil},
			{"unlock", "POST", "/unlock", "user.unlock", nil},
			{"disable", "POST", "/disable", "user.disable", nil},
			{"enable", "POST", "/enable", "user.enable", nil},
			{"reset MFA", "POST", "/reset-mfa", "user.reset_mfa", nil},
			{"delete", "DELETE", "", "user.delete", nil},
		}
		for _, tc := range cases {
			t.Run(target.LoginName+"/"+tc.name, func(t *testing.T) {
				before := e.deniedEvents(tc.action, target.ID)
				r := c.api(tc.method, "/api/admin/users/"+target.ID+tc.path, tc.body)
				if r.status != http.StatusForbidden || r.env.Success {
					t.Fatalf("status %d, want 403: %s", r.status, r.body)
				}
				if msg, _ := r.env.Message.(string); !strings.Contains(msg, "Only members of System Administrator may change "+target.LoginName) {
					t.Errorf("Message %q does not say why", msg)
				}
				if got := e.deniedEvents(tc.action, target.ID); got != before+1 {
					t.Errorf("%d denied %s events, want %d", got, tc.action, before+1)
				}
			})
		}
		got := e.user(target.ID)
		if got.Email == "attacker@example.test" || got.LoginName != target.LoginName || got.Locked || got.Disabled {
			t.Errorf("%s changed: %+v", target.LoginName, got)
		}
	}

	// The second administrator still signs in with its own password.
	e.client().signIn(second.LoginName, "second-password-01")

	t.Run("portal reset form", func(t *testing.T) {
		portal := e.client()
		portal.signIn(helpdesk.LoginName, "password-0001")
		page := portal.get("/admin/users/" + second.ID)
		if page.find("user-change-denied").Length() != 1 {
			t.Error("the user page does not say that this user cannot be changed")
		}
		r := portal.post("/admin/users/"+second.ID+"/password", url.Values{"password": {"taken-over-0002"}, "password_confirm": {"taken-over-0002"}})
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403", r.status)
		}
		if msg := r.find("error-password").Text(); !strings.Contains(msg, "Only members of System Administrator") {
			t.Errorf("password error %q does not say why", msg)
		}
		if r := portal.post("/admin/users/"+second.ID+"/disable", nil); r.status != http.StatusForbidden || !strings.Contains(r.body, "Only members of System Administrator") {
			t.Errorf("disable: status %d, want 403 with the reason", r.status)
		}
		e.client().signIn(second.LoginName, "second-password-01")
	})

	t.Run("users within the actor's rights", func(t *testing.T) {
		if r := c.api("POST", "/api/admin/users/"+plain.ID+"/password", map[string]any{"password": "new-password-0003"}); r.status != http.StatusOK {
			t.Errorf("reset a plain user's password: %d %s", r.status, r.body)
		}
		if r := c.api("POST", "/api/admin/users", map[string]any{"login_name": "new@example.test", "password": "password-0001"}); r.status != http.StatusCreated {
			t.Errorf("create a user: %d %s", r.status, r.body)
		}
	})
}

func TestUserManagerCannotChangeHolderOfOtherRights(t *testing.T) {
	e := newEnv(t)
	helpdesk := e.createUser(models.NewUser{LoginName: "helpdesk@example.test", Password: "password-0001"})
	e.grantRights(helpdesk.ID, models.RightAdminPortalLogin, models.RightUserManagement)
	appAdmin := e.createUser(models.NewUser{LoginName: "app-admin@example.test", Password: "password-0002"})
	e.grantRights(appAdmin.ID, models.RightAdminPortalLogin, models.RightApplicationManagement)

	c := e.apiClientAs(helpdesk.LoginName, "password-0001")
	r := c.api("POST", "/api/admin/users/"+appAdmin.ID+"/password", map[string]any{"password": "taken-over-0001"})
	if r.status != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", r.status, r.body)
	}
	if msg, _ := r.env.Message.(string); !strings.Contains(msg, "Application Management") {
		t.Errorf("Message %q does not name the missing right", msg)
	}
	e.client().signIn(appAdmin.LoginName, "password-0002")
}

func TestRoleManagerCannotEscalate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	roleAdmin := e.createUser(models.NewUser{LoginName: "role-admin@example.test", Password: "password-0001"})
	e.grantRights(roleAdmin.ID, models.RightAdminPortalLogin, models.RightRoleManagement)
	own, err := e.store.RolesOfUser(ctx, roleAdmin.ID)
	if err != nil || len(own) != 1 {
		t.Fatalf("roles of the role administrator: %v %v", own, err)
	}
	ownRole := own[0]
	apps, err := e.store.CreateRole(ctx, models.RoleInput{Name: "App Admins", Rights: []string{models.RightApplicationManagement}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.apiClientAs(roleAdmin.LoginName, "password-0001")

	cases := []struct {
		name, method, path string
		body               any
	}{
		{"give its own role every right", "PUT", "/api/admin/roles/" + ownRole.ID, map[string]any{"name": ownRole.Name, "rights": models.AllRights}},
		{"create a role with every right", "POST", "/api/admin/roles", map[string]any{"name": "Everything", "rights": models.AllRights}},
		{"join a role with a right it lacks", "POST", "/api/admin/roles/" + apps.ID + "/members", map[string]any{"member_type": "user", "member_id": roleAdmin.ID}},
		{"nest such a role in its own", "POST", "/api/admin/roles/" + ownRole.ID + "/members", map[string]any{"member_type": "role", "member_id": apps.ID}},
		{"edit a role with a right it lacks", "PUT", "/api/admin/roles/" + apps.ID, map[string]any{"name": "Renamed"}},
		{"delete a role with a right it lacks", "DELETE", "/api/admin/roles/" + apps.ID, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.api(tc.method, tc.path, tc.body)
			if r.status != http.StatusForbidden || r.env.Success {
				t.Fatalf("status %d, want 403: %s", r.status, r.body)
			}
			if msg, _ := r.env.Message.(string); msg == "" {
				t.Error("no Message")
			}
		})
	}
	rights, err := e.store.RightsOf(ctx, roleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, right := range []string{models.RightUserManagement, models.RightApplicationManagement, models.RightMintUserTokens, models.RightAuditRead} {
		if rights[right] {
			t.Errorf("the role administrator gained %s", right)
		}
	}
	if e.deniedEvents("role.update", ownRole.ID) != 1 {
		t.Error("the denied role update was not audited")
	}
	if e.deniedEvents("role.add_member", apps.ID) != 1 {
		t.Error("the denied membership change was not audited")
	}

	t.Run("portal role form", func(t *testing.T) {
		portal := e.client()
		portal.signIn(roleAdmin.LoginName, "password-0001")
		portal.get("/admin/roles/" + ownRole.ID)
		form := url.Values{"name": {ownRole.Name}, "rights": models.AllRights}
		if r := portal.post("/admin/roles/"+ownRole.ID, form); r.status != http.StatusForbidden || !strings.Contains(r.body, "You may grant only rights you hold") {
			t.Errorf("status %d, want 403 with the reason", r.status)
		}
	})

	t.Run("rights the actor holds", func(t *testing.T) {
		r := c.api("POST", "/api/admin/roles", map[string]any{"name": "Delegates", "rights": []string{models.RightRoleManagement}})
		if r.status != http.StatusCreated {
			t.Errorf("create a role with Role Management: %d %s", r.status, r.body)
		}
	})
}

func TestLastAdministratorCannotLeave(t *testing.T) {
	e := newEnv(t)
	root := e.rootAdmin()
	c := e.apiClient()
	r := c.api("DELETE", "/api/admin/roles/"+models.RoleSysAdmin+"/members/user/"+root.ID, nil)
	if r.status != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", r.status, r.body)
	}
	if msg, _ := r.env.Message.(string); !strings.Contains(msg, "without an enabled member") {
		t.Errorf("Message %q does not say why", msg)
	}
	if ok, _ := e.store.IsSysAdmin(context.Background(), root); !ok {
		t.Error("the last administrator left System Administrator")
	}

	other := e.createUser(models.NewUser{LoginName: "other-admin@example.test"})
	e.addToSysAdmin(other.ID)
	if r := c.api("DELETE", "/api/admin/roles/"+models.RoleSysAdmin+"/members/user/"+other.ID, nil); r.status != http.StatusOK {
		t.Errorf("remove another administrator: %d %s", r.status, r.body)
	}
}
