package admin

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

// RoleJSON is a role as the admin API returns it.
type RoleJSON struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	BuiltIn     bool         `json:"built_in"`
	Rights      []string     `json:"rights"`
	Members     []MemberJSON `json:"members,omitempty"`
}

// MemberJSON is a member of a role.
type MemberJSON struct {
	Type string `json:"member_type"`
	ID   string `json:"member_id"`
	Name string `json:"name"`
}

func roleJSON(r *models.Role) RoleJSON {
	out := RoleJSON{ID: r.ID, Name: r.Name, Description: r.Description, BuiltIn: r.BuiltIn, Rights: r.RightList()}
	if r.ID == models.RoleSysAdmin {
		out.Rights = models.AllRights
	}
	if out.Rights == nil {
		out.Rights = []string{}
	}
	return out
}

func (p *portal) apiListRoles(c *fiber.Ctx) error {
	roles, err := p.store.ListRoles(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]RoleJSON, 0, len(roles))
	for i := range roles {
		out = append(out, roleJSON(&roles[i]))
	}
	return ok(c, fiber.StatusOK, out)
}

// roleBodyJSON is the body of POST and PUT on roles.
type roleBodyJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rights      []string `json:"rights"`
}

func (p *portal) apiCreateRole(c *fiber.Ctx) error {
	var in roleBodyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var role *models.Role
	err := p.store.Audited(c.UserContext(), actorOf(c), models.AuditEntry{Action: "role.create", ObjectType: "role"},
		func(tx *models.Store, e *models.AuditEntry) error {
			var err error
			role, err = tx.CreateRoleAs(c.UserContext(), adminOf(c), models.RoleInput(in))
			if err == nil {
				e.ObjectID, e.ObjectName, e.Details = role.ID, role.Name, "rights: "+role.Rights
			}
			return err
		})
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusCreated, roleJSON(role))
}

func (p *portal) apiGetRole(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	members, err := p.store.RoleMembers(c.UserContext(), role.ID)
	if err != nil {
		return err
	}
	out := roleJSON(role)
	out.Members = []MemberJSON{}
	for _, m := range members {
		out.Members = append(out.Members, MemberJSON{Type: m.MemberType, ID: m.MemberID, Name: m.Name})
	}
	return ok(c, fiber.StatusOK, out)
}

func (p *portal) apiUpdateRole(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	var in roleBodyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	var updated *models.Role
	err = p.store.Audited(c.UserContext(), actorOf(c),
		models.AuditEntry{Action: "role.update", ObjectType: "role", ObjectID: role.ID, ObjectName: role.Name},
		func(tx *models.Store, e *models.AuditEntry) error {
			var err error
			updated, err = tx.UpdateRoleAs(c.UserContext(), adminOf(c), role.ID, models.RoleInput(in))
			if err == nil {
				e.ObjectName, e.Details = updated.Name, "rights: "+updated.Rights
			}
			return err
		})
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, roleJSON(updated))
}

func (p *portal) apiDeleteRole(c *fiber.Ctx) error {
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
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, nil)
}

// memberBodyJSON is the body of POST /api/admin/roles/{id}/members. A
// user may be named by member_id or login_name.
type memberBodyJSON struct {
	MemberType string `json:"member_type"`
	MemberID   string `json:"member_id"`
	LoginName  string `json:"login_name"`
}

func (p *portal) apiAddMember(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	var in memberBodyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := p.changeMembership(c, role.ID, memberInput{Type: in.MemberType, ID: in.MemberID, LoginName: in.LoginName}, true); err != nil {
		return apiError(c, err)
	}
	return p.apiGetRole(c)
}

func (p *portal) apiRemoveMember(c *fiber.Ctx) error {
	role, err := p.loadRole(c)
	if err != nil {
		return err
	}
	in := memberInput{Type: c.Params("type"), ID: c.Params("memberID")}
	if err := p.changeMembership(c, role.ID, in, false); err != nil {
		return apiError(c, err)
	}
	return p.apiGetRole(c)
}

// ProfileJSON is an authentication profile.
type ProfileJSON struct {
	ID                 string     `json:"id"`
	Name               string     `json:"name"`
	Challenges         [][]string `json:"challenges"`
	PassThroughMinutes int        `json:"pass_through_minutes"`
}

func profileJSON(pr *models.AuthProfile) ProfileJSON {
	out := ProfileJSON{ID: pr.ID, Name: pr.Name, Challenges: pr.Challenges(), PassThroughMinutes: pr.PassThroughMinutes}
	if out.Challenges == nil {
		out.Challenges = [][]string{}
	}
	return out
}

func (p *portal) apiListProfiles(c *fiber.Ctx) error {
	profiles, err := p.store.ListAuthProfiles(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]ProfileJSON, 0, len(profiles))
	for i := range profiles {
		out = append(out, profileJSON(&profiles[i]))
	}
	return ok(c, fiber.StatusOK, out)
}

func (p *portal) apiGetProfile(c *fiber.Ctx) error {
	pr, err := p.store.AuthProfileByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return storeError(err)
	}
	return ok(c, fiber.StatusOK, profileJSON(pr))
}

// profileBodyJSON is the body of POST and PUT on profiles.
type profileBodyJSON struct {
	Name               string     `json:"name"`
	Challenges         [][]string `json:"challenges"`
	PassThroughMinutes int        `json:"pass_through_minutes"`
}

// apiSaveProfile creates a profile (POST) or replaces one (PUT).
func (p *portal) apiSaveProfile(c *fiber.Ctx) error {
	ctx, id := c.UserContext(), c.Params("id")
	if id != "" {
		if _, err := p.store.AuthProfileByID(ctx, id); err != nil {
			return storeError(err)
		}
	}
	var in profileBodyJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if len(in.Challenges) > models.MaxChallenges {
		return apiError(c, models.ValidationErrors{{Field: "challenges", Message: "at most 3 challenges"}})
	}
	action := "profile.create"
	if id != "" {
		action = "profile.update"
	}
	var saved *models.AuthProfile
	err := p.store.Audited(ctx, actorOf(c), models.AuditEntry{Action: action, ObjectType: "auth_profile", ObjectID: id},
		func(tx *models.Store, e *models.AuditEntry) error {
			var err error
			input := models.AuthProfileInput(in)
			if id == "" {
				saved, err = tx.CreateAuthProfile(ctx, input)
			} else {
				saved, err = tx.UpdateAuthProfile(ctx, id, input)
			}
			if err == nil {
				e.ObjectID, e.ObjectName = saved.ID, saved.Name
			}
			return err
		})
	if err != nil {
		return apiError(c, err)
	}
	status := fiber.StatusOK
	if id == "" {
		status = fiber.StatusCreated
	}
	return ok(c, status, profileJSON(saved))
}

func (p *portal) apiDeleteProfile(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pr, err := p.store.AuthProfileByID(ctx, c.Params("id"))
	if err != nil {
		return storeError(err)
	}
	err = p.store.Audited(ctx, actorOf(c),
		models.AuditEntry{Action: "profile.delete", ObjectType: "auth_profile", ObjectID: pr.ID, ObjectName: pr.Name},
		func(tx *models.Store, _ *models.AuditEntry) error { return tx.DeleteAuthProfile(ctx, pr.ID) })
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, nil)
}

// PortalSettingsJSON is the body and result of /api/admin/settings/portal.
type PortalSettingsJSON struct {
	AdminProfileID string `json:"admin_profile_id"`
	UserProfileID  string `json:"user_profile_id"`
}

func (p *portal) apiGetPortalSettings(c *fiber.Ctx) error {
	ctx := c.UserContext()
	adminProfile, err := p.store.GetSetting(ctx, models.SettingAdminPortalProfile)
	if err != nil {
		return err
	}
	userProfile, err := p.store.GetSetting(ctx, models.SettingUserPortalProfile)
	if err != nil {
		return err
	}
	return ok(c, fiber.StatusOK, PortalSettingsJSON{AdminProfileID: adminProfile, UserProfileID: userProfile})
}

// PortalSettingsUpdateJSON is the body of PUT /api/admin/settings/portal.
// ConfirmUnenrolled accepts a new admin profile that some administrators
// are enrolled in no mechanism of a challenge of.
type PortalSettingsUpdateJSON struct {
	AdminProfileID    string `json:"admin_profile_id"`
	UserProfileID     string `json:"user_profile_id"`
	ConfirmUnenrolled bool   `json:"confirm_unenrolled"`
}

// ChallengeCoverageJSON is one challenge of an admin profile that some
// administrators cannot answer.
type ChallengeCoverageJSON struct {
	Challenge      int      `json:"challenge"`
	Mechanisms     []string `json:"mechanisms"`
	Administrators int      `json:"administrators"`
	NotEnrolled    int      `json:"not_enrolled"`
}

func (p *portal) apiPutPortalSettings(c *fiber.Ctx) error {
	var in PortalSettingsUpdateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	err := p.applyPortalSettings(c, portalSettingsInput(in))
	var unenrolled *unenrolledAdminsError
	if errors.As(err, &unenrolled) {
		var gaps []ChallengeCoverageJSON
		for i, cov := range unenrolled.coverage {
			if cov.NotEnrolled > 0 {
				gaps = append(gaps, ChallengeCoverageJSON{Challenge: i + 1, Mechanisms: cov.Mechanisms, Administrators: cov.Administrators, NotEnrolled: cov.NotEnrolled})
			}
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusConflict).JSON(middleware.Envelope{
			Success:   false,
			Message:   "Not saved: " + unenrolled.Error() + ". They could not sign in to the admin portal. Send confirm_unenrolled: true to save anyway.",
			ErrorCode: "administrators_not_enrolled",
			Result:    map[string]any{"challenges": gaps},
			RequestID: middleware.GetRequestID(c),
		})
	}
	if err != nil {
		return apiError(c, err)
	}
	return p.apiGetPortalSettings(c)
}

// OutboxJSON is a kept mail or SMS message.
type OutboxJSON struct {
	ID        int64     `json:"id"`
	Channel   string    `json:"channel"`
	Recipient string    `json:"recipient"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

func (p *portal) apiListOutbox(c *fiber.Ctx) error {
	page, err := p.store.ListOutbox(c.UserContext(), queryInt(c, "page", 1), queryInt(c, "per_page", models.DefaultPageSize))
	if err != nil {
		return err
	}
	items := make([]OutboxJSON, 0, len(page.Messages))
	for _, m := range page.Messages {
		items = append(items, OutboxJSON{ID: m.ID, Channel: m.Channel, Recipient: m.Recipient, Subject: m.Subject, Body: m.Body, CreatedAt: m.CreatedAt})
	}
	return ok(c, fiber.StatusOK, PageJSON{Items: items, Total: page.Total, Page: page.Page, PerPage: page.PerPage})
}

// AuditJSON is one audit event.
type AuditJSON struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorID    string    `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	ObjectName string    `json:"object_name"`
	Outcome    string    `json:"outcome"`
	SourceIP   string    `json:"source_ip"`
	RequestID  string    `json:"request_id"`
	Details    string    `json:"details"`
}

func (p *portal) apiListAudit(c *fiber.Ctx) error {
	filter := views.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action"), Object: c.Query("object"), From: c.Query("from"), To: c.Query("to")}
	q, errs := auditQuery(filter, queryInt(c, "page", 1))
	if len(errs) > 0 {
		var verrs models.ValidationErrors
		for field, msg := range errs {
			verrs.Add(field, msg)
		}
		return middleware.NewHTTPError(fiber.StatusBadRequest, "Dates must be YYYY-MM-DD: "+verrs.Error(), verrs)
	}
	q.PerPage = queryInt(c, "per_page", models.DefaultPageSize)
	page, err := p.store.ListAudit(c.UserContext(), q)
	if err != nil {
		return err
	}
	items := make([]AuditJSON, 0, len(page.Events))
	for _, ev := range page.Events {
		items = append(items, AuditJSON(ev))
	}
	return ok(c, fiber.StatusOK, PageJSON{Items: items, Total: page.Total, Page: page.Page, PerPage: page.PerPage})
}
