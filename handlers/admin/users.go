package admin

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/handlers/middleware"
	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

// userInput is the user form as posted.
type userInput struct {
	views.UserForm
	Password        string
	PasswordConfirm string
}

func parseUserForm(c *fiber.Ctx) userInput {
	return userInput{
		UserForm: views.UserForm{
			LoginName:             strings.TrimSpace(c.FormValue("login_name")),
			LoginSuffix:           strings.TrimSpace(c.FormValue("login_suffix")),
			DisplayName:           c.FormValue("display_name"),
			Email:                 c.FormValue("email"),
			MobileNumber:          c.FormValue("mobile_number"),
			Description:           c.FormValue("description"),
			IsServiceUser:         formBool(c, "is_service_user"),
			IsOAuthClient:         formBool(c, "is_oauth_client"),
			PasswordNeverExpires:  formBool(c, "password_never_expires"),
			RequirePasswordChange: formBool(c, "require_password_change"),
		},
		Password:        c.FormValue("password"),
		PasswordConfirm: c.FormValue("password_confirm"),
	}
}

// fullLoginName joins the login name and suffix unless the name already
// has an @.
func fullLoginName(name, suffix string) string {
	suffix = strings.TrimPrefix(suffix, "@")
	if strings.Contains(name, "@") || suffix == "" {
		return name
	}
	return name + "@" + suffix
}

func (p *portal) listUsers(c *fiber.Ctx) error {
	q := views.UserListQuery{
		Search: c.Query("q"),
		Filter: c.Query("filter"),
		Sort:   c.Query("sort"),
		Desc:   c.Query("dir") == "desc",
		Page:   queryInt(c, "page", 1),
	}
	page, err := p.store.ListUsers(c.UserContext(), models.UserQuery{
		Search: q.Search, Filter: q.Filter, Sort: q.Sort, Desc: q.Desc, Page: q.Page,
	})
	if err != nil {
		return err
	}
	rows := make([]views.UserRow, 0, len(page.Users))
	for i := range page.Users {
		u := &page.Users[i]
		rows = append(rows, views.UserRow{
			ID: u.ID, LoginName: u.LoginName, DisplayName: u.DisplayName, Email: u.Email,
			Badges: userBadges(u, p.now()),
		})
	}
	q.Page = page.Page
	return render(c, fiber.StatusOK, views.Users(views.UsersPage{
		Shell: shell(c, "Users", views.SectionUsers),
		Query: q,
		Rows:  rows,
		Pager: views.Pager{Page: page.Page, Pages: page.Pages(), Total: page.Total, URL: q.URL},
	}))
}

func userBadges(u *models.User, now time.Time) []views.BadgeData {
	var out []views.BadgeData
	if u.Disabled {
		out = append(out, views.BadgeData{Label: "Disabled", Tone: "red"})
	}
	if u.IsLockedAt(now) {
		out = append(out, views.BadgeData{Label: "Locked", Tone: "amber"})
	}
	if u.IsOAuthClient {
		out = append(out, views.BadgeData{Label: "OAuth client", Tone: "blue"})
	} else if u.IsServiceUser {
		out = append(out, views.BadgeData{Label: "Service user", Tone: "blue"})
	}
	if len(out) == 0 {
		out = append(out, views.BadgeData{Label: "Active", Tone: "green"})
	}
	return out
}

func (p *portal) newUser(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.NewUser(views.NewUserPage{
		Shell: shell(c, "Add User", views.SectionUsers),
		Form:  views.UserForm{LoginSuffix: models.DefaultLoginSuffix},
	}))
}

func (p *portal) createUser(c *fiber.Ctx) error {
	in := parseUserForm(c)
	errs := map[string]string{}
	if in.Password != in.PasswordConfirm {
		errs["password_confirm"] = "The two passwords differ. Type the same password twice."
	}
	var user *models.User
	var err error
	if len(errs) == 0 {
		user, err = p.store.CreateUserAudited(c.UserContext(), actorOf(c), models.NewUser{
			LoginName:             fullLoginName(in.LoginName, in.LoginSuffix),
			DisplayName:           in.DisplayName,
			Email:                 in.Email,
			MobileNumber:          in.MobileNumber,
			Description:           in.Description,
			Password:              in.Password,
			IsServiceUser:         in.IsServiceUser,
			IsOAuthClient:         in.IsOAuthClient,
			PasswordNeverExpires:  in.PasswordNeverExpires,
			RequirePasswordChange: in.RequirePasswordChange,
		})
		if err != nil {
			if errs, err = formErrors(err); err != nil {
				return err
			}
		}
	}
	if len(errs) > 0 {
		return render(c, fiber.StatusUnprocessableEntity, views.NewUser(views.NewUserPage{
			Shell:     shell(c, "Add User", views.SectionUsers),
			Form:      in.UserForm,
			Errors:    errs,
			FormError: "The user was not saved. Correct the fields marked below.",
		}))
	}
	return redirectWithFlash(c, "/admin/users/"+user.ID, "User "+user.LoginName+" created.")
}

// userPage builds the user's page from the stored user. A non-nil form
// replaces the stored values with the ones just posted.
func (p *portal) userPage(c *fiber.Ctx, u *models.User, form *views.UserForm) (views.UserPage, error) {
	roles, err := p.store.RolesOfUser(c.UserContext(), u.ID)
	if err != nil {
		return views.UserPage{}, err
	}
	d := views.UserPage{
		Shell:     shell(c, u.LoginName, views.SectionUsers),
		ID:        u.ID,
		LoginName: u.LoginName,
		Form: views.UserForm{
			LoginName: u.LoginName, DisplayName: u.DisplayName, Email: u.Email,
			MobileNumber: u.MobileNumber, Description: u.Description,
			IsServiceUser: u.IsServiceUser, IsOAuthClient: u.IsOAuthClient,
			PasswordNeverExpires: u.PasswordNeverExpires, RequirePasswordChange: u.RequirePasswordChange,
		},
		Locked:    u.IsLockedAt(p.now()),
		Disabled:  u.Disabled,
		HasMFA:    u.HasTOTP() || u.SecurityQuestion != "",
		IsSelf:    adminOf(c).ID == u.ID,
		CreatedAt: u.CreatedAt.Format("2 Jan 2006 15:04 MST"),
	}
	if form != nil {
		d.Form = *form
	}
	ok, reason, err := p.store.CanChangeUser(c.UserContext(), adminOf(c), u)
	if err != nil {
		return views.UserPage{}, err
	}
	if !ok {
		d.ChangeDenied = reason
	}
	for _, r := range roles {
		d.Roles = append(d.Roles, views.RoleLink{ID: r.ID, Name: r.Name})
	}
	return d, nil
}

func (p *portal) loadUser(c *fiber.Ctx) (*models.User, error) {
	u, err := p.store.UserByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, storeError(err)
	}
	return u, nil
}

func (p *portal) showUser(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	d, err := p.userPage(c, u, nil)
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.User(d))
}

func (p *portal) updateUser(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	in := parseUserForm(c)
	_, err = p.store.UpdateUser(c.UserContext(), actorOf(c), u.ID, models.UserChanges{
		LoginName:             &in.LoginName,
		DisplayName:           &in.DisplayName,
		Email:                 &in.Email,
		MobileNumber:          &in.MobileNumber,
		Description:           &in.Description,
		IsServiceUser:         &in.IsServiceUser,
		IsOAuthClient:         &in.IsOAuthClient,
		PasswordNeverExpires:  &in.PasswordNeverExpires,
		RequirePasswordChange: &in.RequirePasswordChange,
	})
	if errors.As(err, new(*models.DeniedError)) {
		d, pageErr := p.userPage(c, u, &in.UserForm)
		if pageErr != nil {
			return pageErr
		}
		d.FormError = "The changes were not saved. " + err.Error()
		return render(c, fiber.StatusForbidden, views.User(d))
	}
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		d, err := p.userPage(c, u, &in.UserForm)
		if err != nil {
			return err
		}
		d.Errors, d.FormError = errs, "The changes were not saved. Correct the fields marked below."
		return render(c, fiber.StatusUnprocessableEntity, views.User(d))
	}
	return redirectWithFlash(c, "/admin/users/"+u.ID, "User saved.")
}

func (p *portal) resetPassword(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	password, confirm := c.FormValue("password"), c.FormValue("password_confirm")
	requireChange := formBool(c, "require_password_change")
	if password != confirm {
		err = models.ValidationErrors{{Field: "password", Message: "The two passwords differ. Type the same password twice."}}
	} else {
		err = p.store.ResetPassword(c.UserContext(), actorOf(c), u.ID, password, requireChange)
	}
	if errors.As(err, new(*models.DeniedError)) {
		d, pageErr := p.userPage(c, u, nil)
		if pageErr != nil {
			return pageErr
		}
		d.PasswordError = "The password was not set. " + err.Error()
		return render(c, fiber.StatusForbidden, views.User(d))
	}
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		d, err := p.userPage(c, u, nil)
		if err != nil {
			return err
		}
		d.PasswordError = errs["password"]
		return render(c, fiber.StatusUnprocessableEntity, views.User(d))
	}
	if u.ID == adminOf(c).ID {
		// Resetting one's own password is a privilege change.
		if err := regenerate(c); err != nil {
			return err
		}
	}
	return redirectWithFlash(c, "/admin/users/"+u.ID, "Password set. The user's portal sessions have ended.")
}

// refuseSelf stops an administrator from locking, disabling or deleting
// their own account, which would end their session mid-task.
func refuseSelf(c *fiber.Ctx, u *models.User, what string) error {
	if u.ID == adminOf(c).ID {
		return middleware.NewHTTPError(fiber.StatusConflict, "You cannot "+what+" your own account.", nil)
	}
	return nil
}

func (p *portal) setLocked(locked bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := p.loadUser(c)
		if err != nil {
			return err
		}
		msg := "User unlocked."
		if locked {
			if err := refuseSelf(c, u, "lock"); err != nil {
				return err
			}
			msg = "User locked."
		}
		if err := p.store.SetUserLocked(c.UserContext(), actorOf(c), u.ID, locked); err != nil {
			return storeError(err)
		}
		return redirectWithFlash(c, "/admin/users/"+u.ID, msg)
	}
}

func (p *portal) setDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := p.loadUser(c)
		if err != nil {
			return err
		}
		msg := "User enabled."
		if disabled {
			if err := refuseSelf(c, u, "disable"); err != nil {
				return err
			}
			msg = "User disabled."
		}
		if err := p.store.SetUserDisabled(c.UserContext(), actorOf(c), u.ID, disabled); err != nil {
			return storeError(err)
		}
		return redirectWithFlash(c, "/admin/users/"+u.ID, msg)
	}
}

func (p *portal) resetMFA(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	if err := p.store.ResetMFA(c.UserContext(), actorOf(c), u.ID); err != nil {
		return storeError(err)
	}
	return redirectWithFlash(c, "/admin/users/"+u.ID, "MFA enrollments removed.")
}

func (p *portal) deleteUser(c *fiber.Ctx) error {
	u, err := p.loadUser(c)
	if err != nil {
		return err
	}
	if err := refuseSelf(c, u, "delete"); err != nil {
		return err
	}
	if err := p.store.DeleteUser(c.UserContext(), actorOf(c), u.ID); err != nil {
		return storeError(err)
	}
	return redirectWithFlash(c, "/admin/users", "User "+u.LoginName+" deleted.")
}
