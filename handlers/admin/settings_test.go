package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestProfilePages(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	c.get("/admin/profiles/new")
	cases := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"empty name", url.Values{"name": {""}, "challenge1": {models.MechOATH}}, "name"},
		{"unknown mechanism", url.Values{"name": {"X"}, "challenge1": {"carrier_pigeon"}}, "challenge1"},
		{"negative pass-through", url.Values{"name": {"X"}, "pass_through_minutes": {"-1"}}, "pass_through_minutes"},
		{"pass-through not a number", url.Values{"name": {"X"}, "pass_through_minutes": {"soon"}}, "pass_through_minutes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/admin/profiles", tc.form)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.status)
			}
			if !strings.Contains(r.body, "field-error") {
				t.Error("no field error shown")
			}
		})
	}
	r := c.post("/admin/profiles", url.Values{"name": {"Codes"}, "challenge1": {models.MechEmail, models.MechSMS}, "pass_through_minutes": {"15"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := strings.TrimPrefix(r.header.Get("Location"), "/admin/profiles/")
	c.get("/admin/profiles/" + id)
	r = c.post("/admin/profiles/"+id, url.Values{"name": {"Codes"}, "pass_through_minutes": {"0"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	p, err := e.store.AuthProfileByID(context.Background(), id)
	if err != nil || p.Challenge1 != "" || p.PassThroughMinutes != 0 {
		t.Errorf("unticking every mechanism and zero minutes not saved: %+v %v", p, err)
	}
	if r := c.get("/admin/profiles"); r.find("profile-row").Length() != 1 {
		t.Error("profile not listed")
	}

	c.get("/admin/settings/portal")
	r = c.post("/admin/settings/portal", url.Values{"admin_profile_id": {""}, "user_profile_id": {id}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("portal settings: %d %s", r.status, r.body)
	}
	if v, _ := e.store.GetSetting(context.Background(), models.SettingUserPortalProfile); v != id {
		t.Errorf("user portal profile %q, want %q", v, id)
	}
	r = c.post("/admin/settings/portal", url.Values{"admin_profile_id": {"1 OR 1=1"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("unknown profile: %d, want 422", r.status)
	}
	c.get("/admin/profiles/" + id)
	if r := c.post("/admin/profiles/"+id+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.status)
	}
	if v, _ := e.store.GetSetting(context.Background(), models.SettingUserPortalProfile); v != "" {
		t.Errorf("deleted profile still chosen for the user portal: %q", v)
	}
	for _, action := range []string{"profile.create", "profile.update", "profile.delete", "settings.update_portal"} {
		if e.auditCount(action) == 0 {
			t.Errorf("%s not audited", action)
		}
	}
}

func TestOutboxNewestFirst(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, recipient := range []string{"old@example.test", "new@example.test"} {
		e.store.Now = func() time.Time { return base.Add(time.Duration(i) * time.Minute) }
		if _, err := e.store.AddOutboxMessage(ctx, "email", recipient, "Code", "Your code"); err != nil {
			t.Fatal(err)
		}
	}
	e.store.Now = func() time.Time { return time.Now().UTC() }
	c := e.adminClient()
	r := c.get("/admin/outbox")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	rows := r.find("outbox-row")
	if rows.Length() != 2 || !strings.Contains(rows.First().Text(), "new@example.test") {
		t.Errorf("outbox rows not newest first: %q", rows.Text())
	}
}

func TestAuditPage(t *testing.T) {
	e := newEnv(t)
	c := e.adminClient()
	e.createUser(models.NewUser{LoginName: "someone@example.test"})
	cases := []struct {
		name, query string
		status      int
		want        string
	}{
		{"all", "", 200, "admin.sign_in"},
		{"by action", "?action=user.create", 200, "someone@example.test"},
		{"by actor", "?actor=" + url.QueryEscape(models.BootstrapAdminName), 200, "admin.sign_in"},
		{"date range", "?from=2000-01-01&to=2999-12-31", 200, "admin.sign_in"},
		{"bad date", "?from=yesterday", 400, ""},
		{"injection in filters", "?actor=%27%20OR%201%3D1--&object=%25", 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.get("/admin/audit" + tc.query)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			if tc.want != "" && !strings.Contains(r.find("audit-table").Text(), tc.want) {
				t.Errorf("table lacks %q", tc.want)
			}
		})
	}
	if r := c.get("/admin/audit?actor=%27%20OR%201%3D1--"); r.find("audit-row").Length() != 0 {
		t.Error("an injected actor filter matched events")
	}
}

func TestPortalSettingsWarnAboutUnenrolledAdmins(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnvWithStore(t, s)
		ctx := context.Background()
		second := e.createUser(models.NewUser{LoginName: modeltest.Name("second-admin"), Password: "password-0001"})
		e.addToSysAdmin(second.ID)
		mfatest.EnrollUser(t, s, second.ID, models.MechOATH)
		profile, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: modeltest.Name("otp"), Challenges: [][]string{{models.MechPassword}, {models.MechOATH}}})
		if err != nil {
			t.Fatal(err)
		}
		c, api := e.adminClient(), e.apiClient()

		page := c.get("/admin/settings/portal")
		if strings.Contains(page.body, "Not enforced") {
			t.Error("the Portal page still says the admin profile is not enforced")
		}
		if page.find("portal-coverage-warning").Length() != 0 {
			t.Error("a warning is shown without an admin profile")
		}

		r := c.post("/admin/settings/portal", url.Values{"admin_profile_id": {profile.ID}})
		if r.status != http.StatusConflict {
			t.Fatalf("unconfirmed save: status %d, want 409", r.status)
		}
		if v, _ := s.GetSetting(ctx, models.SettingAdminPortalProfile); v != "" {
			t.Fatalf("the profile was saved without confirmation: %q", v)
		}
		warnings := r.find("portal-coverage-challenge")
		if warnings.Length() != 1 {
			t.Fatalf("%d challenge warnings, want 1 (only the OTP challenge)", warnings.Length())
		}
		if got := warnings.Text(); !strings.Contains(got, "Challenge 2") || !strings.Contains(got, "1 of 2 administrators") || !strings.Contains(got, "including you") {
			t.Errorf("warning %q", got)
		}
		confirm, _ := r.doc.Find(`input[name="confirm_unenrolled"]`).Attr("value")
		if confirm != profile.ID || r.find("confirm-portal").Length() != 1 {
			t.Fatalf("no confirmation for the profile: %q", confirm)
		}

		other, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: modeltest.Name("sms"), Challenges: [][]string{{models.MechSMS}}})
		if err != nil {
			t.Fatal(err)
		}
		if r := c.post("/admin/settings/portal", url.Values{"admin_profile_id": {other.ID}, "confirm_unenrolled": {profile.ID}}); r.status != http.StatusConflict {
			t.Errorf("confirmation given for another profile: status %d, want 409", r.status)
		}

		r = c.post("/admin/settings/portal", url.Values{"admin_profile_id": {profile.ID}, "confirm_unenrolled": {profile.ID}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("confirmed save: status %d", r.status)
		}
		if v, _ := s.GetSetting(ctx, models.SettingAdminPortalProfile); v != profile.ID {
			t.Fatalf("admin profile %q, want %q", v, profile.ID)
		}
		if got := c.get("/admin/settings/portal").find("portal-coverage-challenge").Text(); !strings.Contains(got, "1 of 2 administrators") {
			t.Errorf("the saved profile's gap is not shown: %q", got)
		}
		if r := c.post("/admin/settings/portal", url.Values{"admin_profile_id": {profile.ID}, "user_profile_id": {other.ID}}); r.status != http.StatusSeeOther {
			t.Errorf("keeping the same admin profile asked again: status %d", r.status)
		}

		res := api.api("PUT", "/api/admin/settings/portal", map[string]any{"admin_profile_id": other.ID})
		if res.status != http.StatusConflict || res.env.ErrorCode != "administrators_not_enrolled" || !strings.Contains(res.body, `"not_enrolled":2`) {
			t.Errorf("API without confirmation: %d %s", res.status, res.body)
		}
		res = api.api("PUT", "/api/admin/settings/portal", map[string]any{"admin_profile_id": other.ID, "confirm_unenrolled": true})
		if res.status != http.StatusOK {
			t.Errorf("API with confirmation: %d %s", res.status, res.body)
		}
	})
}
