package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portcullis-id/portcullis/models"
	views "github.com/portcullis-id/portcullis/views/admin"
)

func mechanismLabels(ids []string) string {
	labels := make([]string, 0, len(ids))
	for _, id := range ids {
		labels = append(labels, models.MechanismLabels[id])
	}
	return strings.Join(labels, " or ")
}

func (p *portal) listProfiles(c *fiber.Ctx) error {
	profiles, err := p.store.ListAuthProfiles(c.UserContext())
	if err != nil {
		return err
	}
	rows := make([]views.ProfileRow, 0, len(profiles))
	for _, pr := range profiles {
		row := views.ProfileRow{ID: pr.ID, Name: pr.Name, PassThrough: strconv.Itoa(pr.PassThroughMinutes) + " min"}
		for _, ch := range pr.Challenges() {
			row.Challenges = append(row.Challenges, mechanismLabels(ch))
		}
		rows = append(rows, row)
	}
	return render(c, fiber.StatusOK, views.Profiles(views.ProfilesPage{Shell: shell(c, "Authentication Profiles", views.SectionProfiles), Rows: rows}))
}

// profilePage builds the profile form from up to three mechanism sets.
func profilePage(c *fiber.Ctx, title, id, name string, challenges [][]string, passThrough string) views.ProfilePage {
	d := views.ProfilePage{Shell: shell(c, title, views.SectionProfiles), ID: id, Name: name, PassThrough: passThrough}
	for i := range models.MaxChallenges {
		var chosen []string
		if i < len(challenges) {
			chosen = challenges[i]
		}
		set := rightSet(chosen)
		options := make([]views.MechanismOption, 0, len(models.AllMechanisms))
		for _, m := range models.AllMechanisms {
			options = append(options, views.MechanismOption{ID: m, Label: models.MechanismLabels[m], Checked: set[m]})
		}
		d.Challenges = append(d.Challenges, options)
	}
	return d
}

func (p *portal) newProfile(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, views.Profile(profilePage(c, "Add Profile", "", "", nil, "0")))
}

// profileInput reads the profile form. A pass-through that is not a whole
// number is reported as a field error.
func profileInput(c *fiber.Ctx) (models.AuthProfileInput, string, error) {
	passText := strings.TrimSpace(c.FormValue("pass_through_minutes"))
	if passText == "" {
		passText = "0"
	}
	in := models.AuthProfileInput{Name: c.FormValue("name")}
	for i := 1; i <= models.MaxChallenges; i++ {
		in.Challenges = append(in.Challenges, formValues(c, "challenge"+strconv.Itoa(i)))
	}
	minutes, err := strconv.Atoi(passText)
	if err != nil {
		return in, passText, models.ValidationErrors{{Field: "pass_through_minutes", Message: "Enter a whole number of minutes, such as 0 or 30."}}
	}
	in.PassThroughMinutes = minutes
	return in, passText, nil
}

func (p *portal) saveProfile(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := c.Params("id")
	title := "Add Profile"
	if id != "" {
		existing, err := p.store.AuthProfileByID(ctx, id)
		if err != nil {
			return storeError(err)
		}
		title = existing.Name
	}
	in, passText, err := profileInput(c)
	var saved *models.AuthProfile
	if err == nil {
		action := "profile.create"
		if id != "" {
			action = "profile.update"
		}
		err = p.store.Audited(ctx, actorOf(c), models.AuditEntry{Action: action, ObjectType: "auth_profile", ObjectID: id},
			func(tx *models.Store, e *models.AuditEntry) error {
				var err error
				if id == "" {
					saved, err = tx.CreateAuthProfile(ctx, in)
				} else {
					saved, err = tx.UpdateAuthProfile(ctx, id, in)
				}
				if err == nil {
					e.ObjectID, e.ObjectName = saved.ID, saved.Name
					e.Details = "challenges: " + strings.Join([]string{saved.Challenge1, saved.Challenge2, saved.Challenge3}, " | ")
				}
				return err
			})
	}
	if err != nil {
		errs, err := formErrors(err)
		if err != nil {
			return err
		}
		d := profilePage(c, title, id, in.Name, in.Challenges, passText)
		d.Errors, d.FormError = errs, "The profile was not saved. Correct the fields marked below."
		return render(c, fiber.StatusUnprocessableEntity, views.Profile(d))
	}
	return redirectWithFlash(c, "/admin/profiles/"+saved.ID, "Profile saved.")
}

func (p *portal) showProfile(c *fiber.Ctx) error {
	pr, err := p.store.AuthProfileByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return storeError(err)
	}
	return render(c, fiber.StatusOK, views.Profile(profilePage(c, pr.Name, pr.ID, pr.Name, pr.Challenges(), strconv.Itoa(pr.PassThroughMinutes))))
}

func (p *portal) deleteProfile(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pr, err := p.store.AuthProfileByID(ctx, c.Params("id"))
	if err != nil {
		return storeError(err)
	}
	err = p.store.Audited(ctx, actorOf(c),
		models.AuditEntry{Action: "profile.delete", ObjectType: "auth_profile", ObjectID: pr.ID, ObjectName: pr.Name},
		func(tx *models.Store, _ *models.AuditEntry) error {
			for _, key := range []string{models.SettingAdminPortalProfile, models.SettingUserPortalProfile} {
				if v, err := tx.GetSetting(ctx, key); err != nil {
					return err
				} else if v == pr.ID {
					if err := tx.SetSetting(ctx, key, ""); err != nil {
						return err
					}
				}
			}
			return tx.DeleteAuthProfile(ctx, pr.ID)
		})
	if err != nil {
		return storeError(err)
	}
	return redirectWithFlash(c, "/admin/profiles", "Profile "+pr.Name+" deleted.")
}

func (p *portal) showPortalSettings(c *fiber.Ctx) error {
	ctx := c.UserContext()
	adminProfile, err := p.store.GetSetting(ctx, models.SettingAdminPortalProfile)
	if err != nil {
		return err
	}
	userProfile, err := p.store.GetSetting(ctx, models.SettingUserPortalProfile)
	if err != nil {
		return err
	}
	coverage, err := p.adminCoverage(ctx, adminProfile)
	if err != nil {
		return err
	}
	in := portalSettingsInput{AdminProfileID: adminProfile, UserProfileID: userProfile}
	return p.renderPortalSettings(c, fiber.StatusOK, in, portalSettingsNotes{coverage: coverage})
}

// portalSettingsNotes are the field errors and warnings of a Portal page.
type portalSettingsNotes struct {
	errs map[string]string
	// coverage is the coverage of the admin profile shown: the saved one,
	// or the submitted one when its save waits for confirmation.
	coverage []models.ChallengeCoverage
	// confirm adds the button that confirms a profile some administrators
	// cannot answer.
	confirm bool
}

func (p *portal) renderPortalSettings(c *fiber.Ctx, status int, in portalSettingsInput, notes portalSettingsNotes) error {
	ctx := c.UserContext()
	adminOptions, err := p.profileOptions(ctx, in.AdminProfileID)
	if err != nil {
		return err
	}
	userOptions, err := p.profileOptions(ctx, in.UserProfileID)
	if err != nil {
		return err
	}
	page := views.PortalSettingsPage{
		Shell: shell(c, "Portal", views.SectionPortal), AdminProfile: adminOptions, UserProfile: userOptions,
		Errors: notes.errs,
	}
	if notes.confirm {
		page.ConfirmProfileID = in.AdminProfileID
	}
	page.Coverage = coverageWarnings(notes.coverage, adminOf(c))
	return render(c, status, views.PortalSettings(page))
}

// coverageWarnings describes the challenges that some administrators are
// enrolled in no mechanism of.
func coverageWarnings(coverage []models.ChallengeCoverage, viewer *models.User) []views.CoverageWarning {
	var out []views.CoverageWarning
	for i, cov := range coverage {
		if cov.NotEnrolled == 0 {
			continue
		}
		out = append(out, views.CoverageWarning{
			Challenge:      i + 1,
			Mechanisms:     mechanismLabels(cov.Mechanisms),
			NotEnrolled:    cov.NotEnrolled,
			Administrators: cov.Administrators,
			IncludesViewer: viewer != nil && slices.Contains(cov.NotEnrolledIDs, viewer.ID),
		})
	}
	return out
}

// adminCoverage returns the administrators' coverage of the profile's
// challenges, or nothing for no profile.
func (p *portal) adminCoverage(ctx context.Context, profileID string) ([]models.ChallengeCoverage, error) {
	if profileID == "" {
		return nil, nil
	}
	coverage, err := p.store.AdminChallengeCoverage(ctx, profileID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return coverage, err
}

// portalSettingsInput is the Portal settings form. An empty id means no
// profile. ConfirmUnenrolled accepts an admin profile that some
// administrators are not enrolled for.
type portalSettingsInput struct {
	AdminProfileID    string
	UserProfileID     string
	ConfirmUnenrolled bool
}

// unenrolledAdminsError rejects a new admin profile that some
// administrators could not answer, until the change is confirmed.
type unenrolledAdminsError struct {
	coverage []models.ChallengeCoverage
}

func (e *unenrolledAdminsError) Error() string {
	var parts []string
	for i, cov := range e.coverage {
		if cov.NotEnrolled > 0 {
			parts = append(parts, fmt.Sprintf("challenge %d (%s): %d of %d administrators are enrolled in none of its mechanisms",
				i+1, mechanismLabels(cov.Mechanisms), cov.NotEnrolled, cov.Administrators))
		}
	}
	return strings.Join(parts, "; ")
}

// savePortalSettings stores both profile choices in one audited
// transaction after checking that each named profile exists. A new admin
// profile that some administrators cannot answer is saved only when the
// form confirms it, so an administrator cannot lock the others out
// without a warning.
func (p *portal) savePortalSettings(c *fiber.Ctx) error {
	in := portalSettingsInput{AdminProfileID: c.FormValue("admin_profile_id"), UserProfileID: c.FormValue("user_profile_id")}
	// The confirmation names the profile it was given for, so choosing
	// another profile on the confirmation page asks again.
	in.ConfirmUnenrolled = in.AdminProfileID != "" && c.FormValue("confirm_unenrolled") == in.AdminProfileID
	err := p.applyPortalSettings(c, in)
	if verrs, ok := models.AsValidationErrors(err); ok {
		return p.renderPortalSettings(c, fiber.StatusUnprocessableEntity, in, portalSettingsNotes{errs: verrs.ByField()})
	}
	var unenrolled *unenrolledAdminsError
	if errors.As(err, &unenrolled) {
		return p.renderPortalSettings(c, fiber.StatusConflict, in, portalSettingsNotes{coverage: unenrolled.coverage, confirm: true})
	}
	if err != nil {
		return err
	}
	return redirectWithFlash(c, "/admin/settings/portal", "Portal settings saved.")
}

func (p *portal) applyPortalSettings(c *fiber.Ctx, in portalSettingsInput) error {
	ctx := c.UserContext()
	var verrs models.ValidationErrors
	for field, id := range map[string]string{"admin_profile_id": in.AdminProfileID, "user_profile_id": in.UserProfileID} {
		if id == "" {
			continue
		}
		if _, err := p.store.AuthProfileByID(ctx, id); errors.Is(err, models.ErrNotFound) {
			verrs.Add(field, "No such authentication profile; choose one from the list.")
		} else if err != nil {
			return err
		}
	}
	if err := verrs.Err(); err != nil {
		return err
	}
	if err := p.checkAdminCoverage(ctx, in); err != nil {
		return err
	}
	return p.store.Audited(ctx, actorOf(c), models.AuditEntry{
		Action: "settings.update_portal", ObjectType: "settings", ObjectName: "portal",
		Details: "admin_profile_id: " + in.AdminProfileID + "; user_profile_id: " + in.UserProfileID,
	}, func(tx *models.Store, _ *models.AuditEntry) error {
		if err := tx.SetSetting(ctx, models.SettingAdminPortalProfile, in.AdminProfileID); err != nil {
			return err
		}
		return tx.SetSetting(ctx, models.SettingUserPortalProfile, in.UserProfileID)
	})
}

// checkAdminCoverage returns an unenrolledAdminsError when the admin
// profile changes to one that some administrators cannot answer and the
// change is not confirmed. Keeping the current profile needs no
// confirmation; the Portal page shows its gaps anyway.
func (p *portal) checkAdminCoverage(ctx context.Context, in portalSettingsInput) error {
	current, err := p.store.GetSetting(ctx, models.SettingAdminPortalProfile)
	if err != nil || in.ConfirmUnenrolled || in.AdminProfileID == current {
		return err
	}
	coverage, err := p.adminCoverage(ctx, in.AdminProfileID)
	if err != nil {
		return err
	}
	for _, cov := range coverage {
		if cov.NotEnrolled > 0 {
			return &unenrolledAdminsError{coverage: coverage}
		}
	}
	return nil
}

func (p *portal) showOutbox(c *fiber.Ctx) error {
	page, err := p.store.ListOutbox(c.UserContext(), queryInt(c, "page", 1), 0)
	if err != nil {
		return err
	}
	rows := make([]views.OutboxRow, 0, len(page.Messages))
	for _, m := range page.Messages {
		rows = append(rows, views.OutboxRow{At: m.CreatedAt, Channel: m.Channel, Recipient: m.Recipient, Subject: m.Subject, Body: m.Body})
	}
	return render(c, fiber.StatusOK, views.Outbox(views.OutboxPage{
		Shell: shell(c, "Outbox", views.SectionOutbox), Rows: rows,
		Pager: views.Pager{Page: page.Page, Pages: page.Pages(), Total: page.Total, URL: func(n int) string {
			return "/admin/outbox?page=" + strconv.Itoa(n)
		}},
	}))
}

// auditQuery parses the audit filters. Dates are whole UTC days, and To
// is inclusive, so it becomes the start of the next day.
func auditQuery(filter views.AuditFilter, page int) (models.AuditQuery, map[string]string) {
	q := models.AuditQuery{Actor: filter.Actor, Action: filter.Action, Object: filter.Object, Page: page}
	errs := map[string]string{}
	if filter.From != "" {
		if t, err := time.Parse(time.DateOnly, filter.From); err == nil {
			q.From = &t
		} else {
			errs["from"] = "Enter a date as YYYY-MM-DD."
		}
	}
	if filter.To != "" {
		if t, err := time.Parse(time.DateOnly, filter.To); err == nil {
			next := t.AddDate(0, 0, 1)
			q.To = &next
		} else {
			errs["to"] = "Enter a date as YYYY-MM-DD."
		}
	}
	return q, errs
}

func (p *portal) showAudit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	filter := views.AuditFilter{Actor: c.Query("actor"), Action: c.Query("action"), Object: c.Query("object"), From: c.Query("from"), To: c.Query("to")}
	q, errs := auditQuery(filter, queryInt(c, "page", 1))
	filter.Errors = errs
	page, err := p.store.ListAudit(ctx, q)
	if err != nil {
		return err
	}
	actions, err := p.store.AuditActions(ctx)
	if err != nil {
		return err
	}
	options := []views.Option{{Value: "", Label: "Any action", Selected: filter.Action == ""}}
	for _, a := range actions {
		options = append(options, views.Option{Value: a, Label: a, Selected: a == filter.Action})
	}
	rows := make([]views.AuditRow, 0, len(page.Events))
	for _, ev := range page.Events {
		rows = append(rows, views.AuditRow{
			At: ev.At, Actor: ev.ActorName, Action: ev.Action, Object: ev.ObjectName, ObjectType: ev.ObjectType,
			Outcome: ev.Outcome, SourceIP: ev.SourceIP, RequestID: ev.RequestID, Details: ev.Details,
		})
	}
	status := fiber.StatusOK
	if len(errs) > 0 {
		status = fiber.StatusBadRequest
	}
	return render(c, status, views.Audit(views.AuditPage{
		Shell: shell(c, "Audit log", views.SectionAudit), Filter: filter, Actions: options, Rows: rows,
		Pager: views.Pager{Page: page.Page, Pages: page.Pages(), Total: page.Total, URL: filter.URL},
	}))
}
