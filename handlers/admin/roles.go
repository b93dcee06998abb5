package admin

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

func (p *portal) listRoles(c *fiber.Ctx) error {
	ctx := c.UserContext()
	roles, err := p.store.ListRoles(ctx)
	if err != nil {
		return err
	}
	rows := make([]views.RoleRow, 0, len(roles))
	for _, r := range roles {
		members, err := p.store.RoleMembers(ctx, r.ID)
		if err != nil {
			return err
		}
		rows = append(rows, views.RoleRow{ID: r.ID, Name: r.Name, Description: r.Description, BuiltIn: r.BuiltIn, Members: len(members)})
	}
	return render(c, fiber.StatusOK, views.Roles(views.RolesPage{Shell: shell(c, "Roles", views.SectionRoles), Rows: rows}))
}

func rightOptions() []views.RightOption {
	out := make([]views.RightOption, 0, len(models.AllRights))
	for _, r := range models.AllRights {
		out = append(out, views.RightOption{ID: r, Label: models.RightLabels[r]})
	}
	return out
}

func rightSet(rights []string) map[string]bool {
	out := make(map[string]bool, len(rights))
	for _, r := range rights {
		out[r] = true
	}
	return out
}

func parseRoleForm(c *fiber.Ctx) models.RoleInput {
	return models.RoleInput{
		Name:        c.FormValue("name"),
		Description: c.FormValue("description"),
		Rights:      formValues(c, "rights"),
	}
}

func (p *portal) newRole(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.Role(views.RolePage{
		Shell: shell(c, "Add Role", views.SectionRoles), AllRights: rightOptions(),
		Form: views.RoleForm{Rights: map[string]bool{models.RightAdminPortalLogin: true}},
	}))
}

func (p *portal) createRole(c *fiber.Ctx) error {
	in := parseRoleForm(c)
	var role *models.Role
	err := p.store.Audited(c.UserContext(), actorOf(c), models.AuditEntry{Action: "role.create", ObjectType: "role"},
		func(tx *models.Store, e *models.AuditEntry) error {
			var err error
			role, err = tx.CreateRoleAs(c.UserContext(), adminOf(c), in)
			if err == nil {
				e.ObjectID, e.ObjectName, e.Details = role.ID, role.Name, "rights: "+role.Rights
			}
			return err
		})
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		return render(c, fiber.StatusUnprocessableEntity, views.Role(views.RolePage{
			Shell: shell(c, "Add Role", views.SectionRoles), AllRights: rightOptions(),
			Form:   views.RoleForm{Name: in.Name, Description: in.Description, Rights: rightSet(in.Rights)},
			Errors: errs, FormError: "The role was not saved. Correct the fields marked below.",
		}))
	}
	return redirectWithFlash(c, "/admin/roles/"+role.ID, "Role "+role.Name+" created.")
}

// rolePage builds a role's page from the stored role.
func (p *portal) rolePage(ctx context.Context, c *fiber.Ctx, role *models.Role) (views.RolePage, error) {
	members, err := p.store.RoleMembers(ctx, role.ID)
	if err != nil {
		return views.RolePage{}, err
	}
	roles, err := p.store.ListRoles(ctx)
	if err != nil {
		return views.RolePage{}, err
	}
	d := views.RolePage{
		Shell:          shell(c, role.Name, views.SectionRoles),
		ID:             role.ID,
		BuiltIn:        role.BuiltIn,
		IsSysAdmin:     role.ID == models.RoleSysAdmin,
		IsEverybody:    role.ID == models.RoleEverybody,
		Form:           views.RoleForm{Name: role.Name, Description: role.Description, Rights: rightSet(role.RightList())},
		AllRights:      rightOptions(),
		CanEditMembers: role.ID != models.RoleSysAdmin || isSysAdmin(c),
	}
	for _, m := range members {
		href := "/admin/users/" + m.MemberID
		if m.MemberType == models.PrincipalRole {
			href = "/admin/roles/" + m.MemberID
		}
		d.Members = append(d.Members, views.MemberRow{Type: m.MemberType, ID: m.MemberID, Name: m.Name, Href: href})
	}
	for _, r := range roles {
		if r.ID != role.ID && r.ID != models.RoleEverybody {
			d.RoleChoices = append(d.RoleChoices, views.Option{Value: r.ID, Label: r.Name})
		}
	}
	return d, nil
}

func (p *portal) loadRole(c *fiber.Ctx) (*models.Role, error) {
	role, err := p.store.RoleByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, storeError(err)
	}
	return role, nil
}

func (p *portal) showRole(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	d, err := p.rolePage(c.UserContext(), c, role)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Role(d))
}

func (p *portal) updateRole(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	in := parseRoleForm(c)
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "role.update", ObjectType: "role", ObjectID: role.ID, ObjectName: role.Name},
		func(tx *models.Store, e *models.AuditEntry) error {
			updated, err := tx.UpdateRoleAs(c.UserContext(), adminOf(c), role.ID, in)
			if err == nil {
				e.ObjectName, e.Details = updated.Name, "rights: "+updated.Rights
			}
			return err
		})
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		d, err := p.rolePage(c.UserContext(), c, role)
		if err != nil {
			return err
		}
		d.Form = views.RoleForm{Name: in.Name, Description: in.Description, Rights: rightSet(in.Rights)}
		d.Errors, d.FormError = errs, "The role was not saved. Correct the fields marked below."
		return render(c, fiber.StatusUnprocessableEntity, views.Role(d))
	}
	return redirectWithFlash(c, "/admin/roles/"+role.ID, "Role saved.")
}

func (p *portal) deleteRole(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "role.delete", ObjectType: "role", ObjectID: role.ID, ObjectName: role.Name},
		func(tx *models.Store, _ *models.AuditEntry) error {
			return tx.DeleteRoleAs(c.UserContext(), adminOf(c), role.ID)
		})
	if err != nil {
		return storeError(err)
	}
	return redirectWithFlash(c, "/admin/roles", "Role "+role.Name+" deleted.")
}

// memberInput names a member to add: a user by login name or id, or a
// role by id.
type memberInput struct {
	Type, ID, LoginName string
}

// resolveMember returns the member's id, looking users up by login name.
func (p *portal) resolveMember(ctx context.Context, in memberInput) (string, error) {
	if in.Type != models.PrincipalUser || in.ID != "" {
		return in.ID, nil
	}
	u, err := p.store.UserByLoginName(ctx, in.LoginName)
	if errors.Is(err, models.ErrNotFound) {
		return "", models.ValidationErrors{{Field: "member", Message: "No user has the login name " + quote(in.LoginName) + "."}}
	}
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

func quote(s string) string { return "\u201c" + s + "\u201d" }

// changeMembership adds or removes a member in one audited transaction.
// Changing one's own membership is a privilege change, so the session id
// is regenerated.
func (p *portal) changeMembership(c *fiber.Ctx, roleID string, in memberInput, add bool) error {
	ctx := c.UserContext()
	memberID, err := p.resolveMember(ctx, in)
	if err != nil {
		return err
	}
	action := "role.remove_member"
	if add {
		action = "role.add_member"
		// An existing member is left alone: on PostgreSQL the failed insert
		// would abort the audit transaction.
		members, err := p.store.RoleMembers(ctx, roleID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.MemberType == in.Type && m.MemberID == memberID {
				return nil
			}
		}
	}
	entry := models.AuditEntry{Action: action, ObjectType: "role", ObjectID: roleID, Details: in.Type + " " + memberID}
	err = p.store.Audited(ctx, actorOf(c), entry, func(tx *models.Store, e *models.AuditEntry) error {
		role, err := tx.RoleByID(ctx, roleID)
		if err != nil {
			return err
		}
		e.ObjectName = role.Name
		if add {
			return tx.AddRoleMember(ctx, adminOf(c), roleID, in.Type, memberID)
		}
		return tx.RemoveRoleMember(ctx, adminOf(c), roleID, in.Type, memberID)
	})
	if err != nil {
		return err
	}
	if in.Type == models.PrincipalUser && memberID == adminOf(c).ID {
		return regenerate(c)
	}
	return nil
}

func (p *portal) addMember(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	in := memberInput{Type: c.FormValue("member_type"), LoginName: c.FormValue("login_name"), ID: c.FormValue("role_id")}
	if in.Type == models.PrincipalUser {
		in.ID = c.FormValue("member_id")
	}
	return p.membershipResult(c, role, p.changeMembership(c, role.ID, in, true), "Member added.")
}

func (p *portal) removeMember(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	in := memberInput{Type: c.FormValue("member_type"), ID: c.FormValue("member_id")}
	return p.membershipResult(c, role, p.changeMembership(c, role.ID, in, false), "Member removed.")
}

// membershipResult redirects after a membership change, or shows the
// role page with the reason it was rejected.
func (p *portal) membershipResult(c *fiber.Ctx, role *models.Role, err error, done string) error {
	if err == nil {
		return redirectWithFlash(c, "/admin/roles/"+role.ID, done)
	}
	verrs, ok := models.AsValidationErrors(err)
	if !ok {
		return storeError(err)
	}
	d, err := p.rolePage(c.UserContext(), c, role)
	if err != nil {
		return err
	}
	d.MemberError = verrs[0].Message
	return render(c, fiber.StatusUnprocessableEntity, views.Role(d))
}
