package admin

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
)

// UserJSON is a user as the admin API returns it. It never carries a
// password hash, TOTP seed or security answer.
type UserJSON struct {
	ID                    string     `json:"id"`
	LoginName             string     `json:"login_name"`
	DisplayName           string     `json:"display_name"`
	Email                 string     `json:"email"`
	MobileNumber          string     `json:"mobile_number"`
	Description           string     `json:"description"`
	IsServiceUser         bool       `json:"is_service_user"`
	IsOAuthClient         bool       `json:"is_oauth_client"`
	PasswordNeverExpires  bool       `json:"password_never_expires"`
	RequirePasswordChange bool       `json:"require_password_change"`
	Locked                bool       `json:"locked"`
	Disabled              bool       `json:"disabled"`
	TOTPEnrolled          bool       `json:"totp_enrolled"`
	PasswordChangedAt     *time.Time `json:"password_changed_at"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
	Roles                 []RoleRef  `json:"roles,omitempty"`
}

// RoleRef names a role.
type RoleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func userJSON(u *models.User, now time.Time) UserJSON {
	if u == nil {
		return UserJSON{}
	}
	return UserJSON{
		ID: u.ID, LoginName: u.LoginName, DisplayName: u.DisplayName, Email: u.Email,
		MobileNumber: u.MobileNumber, Description: u.Description,
		IsServiceUser: u.IsServiceUser, IsOAuthClient: u.IsOAuthClient,
		PasswordNeverExpires: u.PasswordNeverExpires, RequirePasswordChange: u.RequirePasswordChange,
		Locked: u.IsLockedAt(now), Disabled: u.Disabled, TOTPEnrolled: u.HasTOTP(),
		PasswordChangedAt: u.PasswordChangedAt, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
}

// PageJSON is one page of a list.
type PageJSON struct {
	Items   any   `json:"items"`
	Total   int64 `json:"total"`
	Page    int   `json:"page"`
	PerPage int   `json:"per_page"`
}

func (p *portal) apiListUsers(c *fiber.Ctx) error {
	page, err := p.store.ListUsers(c.UserContext(), models.UserQuery{
		Search: c.Query("q"), Filter: c.Query("filter"), Sort: c.Query("sort"), Desc: c.Query("dir") == "desc",
		Page: queryInt(c, "page", 1), PerPage: queryInt(c, "per_page", models.DefaultPageSize),
	})
	if err != nil {
		return err
	}
	items := make([]UserJSON, 0, len(page.Users))
	for i := range page.Users {
		items = append(items, userJSON(&page.Users[i], p.now()))
	}
	return ok(c, fiber.StatusOK, PageJSON{Items: items, Total: page.Total, Page: page.Page, PerPage: page.PerPage})
}

// userCreateJSON is the body of POST /api/admin/users.
type userCreateJSON struct {
	LoginName             string `json:"login_name"`
	DisplayName           string `json:"display_name"`
	Email                 string `json:"email"`
	MobileNumber          string `json:"mobile_number"`
	Description           string `json:"description"`
	Password              string `json:"password"`
	IsServiceUser         bool   `json:"is_service_user"`
	IsOAuthClient         bool   `json:"is_oauth_client"`
	PasswordNeverExpires  bool   `json:"password_never_expires"`
	RequirePasswordChange bool   `json:"require_password_change"`
}

func (p *portal) apiCreateUser(c *fiber.Ctx) error {
	var in userCreateJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := p.store.CreateUserAudited(c.UserContext(), actorOf(c), models.NewUser{
		LoginName: in.LoginName, DisplayName: in.DisplayName, Email: in.Email, MobileNumber: in.MobileNumber,
		Description: in.Description, Password: in.Password, IsServiceUser: in.IsServiceUser,
		IsOAuthClient: in.IsOAuthClient, PasswordNeverExpires: in.PasswordNeverExpires,
		RequirePasswordChange: in.RequirePasswordChange,
	})
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusCreated, userJSON(u, p.now()))
}

func (p *portal) apiGetUser(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	roles, err := p.store.RolesOfUser(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	out := userJSON(u, p.now())
	out.Roles = []RoleRef{}
	for _, r := range roles {
		out.Roles = append(out.Roles, RoleRef{ID: r.ID, Name: r.Name})
	}
	return ok(c, fiber.StatusOK, out)
}

// userPatchJSON is the body of PATCH /api/admin/users/{id}. Absent fields
// are left unchanged, and present ones are saved even when false or empty.
type userPatchJSON struct {
	LoginName             *string `json:"login_name"`
	DisplayName           *string `json:"display_name"`
	Email                 *string `json:"email"`
	MobileNumber          *string `json:"mobile_number"`
	Description           *string `json:"description"`
	IsServiceUser         *bool   `json:"is_service_user"`
	IsOAuthClient         *bool   `json:"is_oauth_client"`
	PasswordNeverExpires  *bool   `json:"password_never_expires"`
	RequirePasswordChange *bool   `json:"require_password_change"`
}

func (p *portal) apiUpdateUser(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	var in userPatchJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	updated, err := p.store.UpdateUser(c.UserContext(), actorOf(c), u.ID, models.UserChanges(in))
	if err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, userJSON(updated, p.now()))
}

func (p *portal) apiDeleteUser(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	if err := refuseSelf(c, u, "delete"); err != nil {
		return err
	}
	if err := p.store.DeleteUser(c.UserContext(), actorOf(c), u.ID); err != nil {
		return apiError(c, err)
	}
	return ok(c, fiber.StatusOK, nil)
}

// passwordJSON is the body of POST /api/admin/users/{id}/password.
type passwordJSON struct {
	Password              string `json:"password"`
	RequirePasswordChange bool   `json:"require_password_change"`
}

func (p *portal) apiResetPassword(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	var in passwordJSON
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := p.store.ResetPassword(c.UserContext(), actorOf(c), u.ID, in.Password, in.RequirePasswordChange); err != nil {
		return apiError(c, err)
	}
	if !viaBearer(c) && u.ID == adminOf(c).ID {
		if err := regenerate(c); err != nil {
			return err
		}
	}
	return ok(c, fiber.StatusOK, nil)
}

// apiUserState locks, unlocks, disables, enables or resets the MFA
// enrollments of a user.
func (p *portal) apiUserState(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := p.loadUser(c)
		if err != nil {
			return err
		}
		ctx, actor := c.UserContext(), actorOf(c)
		switch action {
		case "lock", "disable":
			if err := refuseSelf(c, u, action); err != nil {
				return err
			}
		}
		switch action {
		case "lock":
			err = p.store.SetUserLocked(ctx, actor, u.ID, true)
		case "unlock":
			err = p.store.SetUserLocked(ctx, actor, u.ID, false)
		case "disable":
			err = p.store.SetUserDisabled(ctx, actor, u.ID, true)
		case "enable":
			err = p.store.SetUserDisabled(ctx, actor, u.ID, false)
		case "reset-mfa":
			err = p.store.ResetMFA(ctx, actor, u.ID)
		default:
			return middleware.NewHTTPError(fiber.StatusNotFound, "", nil)
		}
		if err != nil {
			return apiError(c, err)
		}
		updated, err := p.store.UserByID(ctx, u.ID)
		if err != nil {
			return storeError(err)
		}
		return ok(c, fiber.StatusOK, userJSON(updated, p.now()))
	}
}
