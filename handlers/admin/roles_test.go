package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/portcullis-id/portcullis/models"
)

func TestRoleLifecycle(t *testing.T) {
	e := newEnv(t)
	member := e.createUser(models.NewUser{LoginName: "member@example.test"})
	c := e.adminClient()
	c.get("/admin/roles/new")

	r := c.post("/admin/roles", url.Values{"name": {"Operators"}, "description": {"ops"}, "rights": {models.RightAdminPortalLogin, models.RightAuditRead}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	roles, _ := e.store.ListRoles(context.Background())
	var role *models.Role
	for i := range roles {
		if roles[i].Name == "Operators" {
			role = &roles[i]
		}
	}
	if role == nil || role.Rights != models.RightAdminPortalLogin+" "+models.RightAuditRead {
		t.Fatalf("role not saved with its rights: %+v", role)
	}

	c.get("/admin/roles/" + role.ID)
	r = c.post("/admin/roles/"+role.ID, url.Values{"name": {"Operators"}, "description": {""}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	got, _ := e.store.RoleByID(context.Background(), role.ID)
	if got.Description != "" || got.Rights != "" {
		t.Errorf("clearing description and rights not saved: %+v", got)
	}

	r = c.post("/admin/roles/"+role.ID+"/members", url.Values{"member_type": {"user"}, "login_name": {"MEMBER@example.test"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add member: %d %s", r.status, r.body)
	}
	r = c.post("/admin/roles/"+role.ID+"/members", url.Values{"member_type": {"user"}, "login_name": {"member@example.test"}})
	if r.status != http.StatusSeeOther {
		t.Errorf("adding an existing member: %d", r.status)
	}
	r = c.post("/admin/roles/"+role.ID+"/members", url.Values{"member_type": {"user"}, "login_name": {"nobody@example.test"}})
	if r.status != http.StatusUnprocessableEntity || r.find("error-member").Length() != 1 {
		t.Errorf("unknown user: %d", r.status)
	}
	r = c.post("/admin/roles/"+role.ID+"/members", url.Values{"member_type": {"role"}, "role_id": {models.RoleSysAdmin}})
	if r.status != http.StatusSeeOther {
		t.Errorf("add role member: %d %s", r.status, r.body)
	}
	page := c.get("/admin/roles/" + role.ID)
	if n := page.find("member-row").Length(); n != 2 {
		t.Errorf("%d members shown, want 2", n)
	}
	r = c.post("/admin/roles/"+role.ID+"/members/remove", url.Values{"member_type": {"user"}, "member_id": {member.ID}})
	if r.status != http.StatusSeeOther {
		t.Errorf("remove member: %d", r.status)
	}
	if page := c.get("/admin/users/" + member.ID); page.find("user-roles").Find("a").Length() != 0 {
		t.Error("user page still lists the role")
	}

	r = c.post("/admin/roles/"+role.ID+"/delete", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	if _, err := e.store.RoleByID(context.Background(), role.ID); err == nil {
		t.Error("role still exists")
	}
	for _, action := range []string{"role.create", "role.update", "role.add_member", "role.remove_member", "role.delete"} {
		if e.auditCount(action) == 0 {
			t.Errorf("%s not audited", action)
		}
	}
}

func TestBuiltInRolesProtected(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	c.get("/admin/roles/" + models.RoleSysAdmin)
	cases := []struct {
		name, path string
		form       url.Values
		status     int
	}{
		{"delete System Administrator", "/admin/roles/sysadmin/delete", nil, http.StatusConflict},
		{"delete Everybody", "/admin/roles/everybody/delete", nil, http.StatusConflict},
		{"rename System Administrator", "/admin/roles/sysadmin", url.Values{"name": {"Admins"}}, http.StatusUnprocessableEntity},
		{"add members to Everybody", "/admin/roles/everybody/members", url.Values{"member_type": {"role"}, "role_id": {models.RoleSysAdmin}}, http.StatusUnprocessableEntity},
		{"injected role id", "/admin/roles/sysadmin%27%20OR%20%271%27%3D%271/delete", nil, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.post(tc.path, tc.form); r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
	role, err := e.store.RoleByID(context.Background(), models.RoleSysAdmin)
	if err != nil || role.Name != "System Administrator" {
		t.Errorf("System Administrator changed: %+v %v", role, err)
	}
}

func TestSysAdminMembershipNeedsMember(t *testing.T) {
	e := newEnv(t)
	roleAdmin := e.createUser(models.NewUser{LoginName: "roleadmin@example.test", Password: "password-0001"})
	e.grantRights(roleAdmin.ID, models.RightAdminPortalLogin, models.RightRoleManagement)
	c := e.client()
	c.signIn(roleAdmin.LoginName, "password-0001")
	c.get("/admin/roles/" + models.RoleSysAdmin)
	r := c.post("/admin/roles/sysadmin/members", url.Values{"member_type": {"user"}, "login_name": {roleAdmin.LoginName}})
	if r.status != http.StatusForbidden {
		t.Errorf("status %d, want 403", r.status)
	}
	ok, _ := e.store.IsSysAdmin(context.Background(), roleAdmin)
	if ok {
		t.Error("a non-member added itself to System Administrator")
	}
}

func TestSignInPrivilegeChangeRegenerates(t *testing.T) {
	e := newEnv(t)
	me := e.createUser(models.NewUser{LoginName: "me@example.test", Password: "password-0001"})
	e.addToSysAdmin(me.ID)
	c := e.client()
	c.signIn(me.LoginName, "password-0001")
	c.get("/admin/roles/new")
	c.post("/admin/roles", url.Values{"name": {"Extra"}, "rights": {models.RightAuditRead}})
	roles, _ := e.store.ListRoles(context.Background())
	var extra string
	for _, r := range roles {
		if r.Name == "Extra" {
			extra = r.ID
		}
	}
	c.get("/admin/roles/" + extra)
	before := c.cookies["portcullis_admin"]
	r := c.post("/admin/roles/"+extra+"/members", url.Values{"member_type": {"user"}, "login_name": {me.LoginName}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add self: %d %s", r.status, r.body)
	}
	if after := c.cookies["portcullis_admin"]; after == before || after == "" {
		t.Error("session id unchanged after the administrator's own rights changed")
	}
	if r := c.get("/admin/roles/" + extra); r.status != http.StatusOK {
		t.Errorf("new session does not work: %d", r.status)
	}
}
