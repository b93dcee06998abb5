package run_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestRunPassThroughAssertion(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newEnv(t, s, totpOnly, nil)
		in := models.AuthProfileInput{Name: e.f.Profile.Name, Challenges: totpOnly.Challenges, PassThroughMinutes: 30}
		if _, err := s.UpdateAuthProfile(ctx, e.f.Profile.ID, in); err != nil {
			t.Fatal(err)
		}
		firstPass := e.f.Clock.Now()
		b := e.browser(t)
		first := assertionOf(t, e, b.answer(b.start(""), e.f.TOTPCode(t)))
		if first["auth_time"] != float64(firstPass.Unix()) {
			t.Errorf("first auth_time %v, want %d", first["auth_time"], firstPass.Unix())
		}

		e.f.Clock.Advance(10 * time.Minute)
		resp := e.browser(t).get("/run?appkey="+e.f.App.AppKey, "Authorization", "Bearer "+e.f.MintToken(t))
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), mfatest.LaunchURL) {
			t.Fatalf("second launch within the pass-through duration: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		second := assertionOf(t, e, resp)
		if amr, _ := second["amr"].([]any); len(amr) != 0 {
			t.Errorf("amr %v for a launch that asked no challenge, want empty", amr)
		}
		if second["auth_time"] != float64(firstPass.Unix()) {
			t.Errorf("auth_time %v, want the earlier pass %d", second["auth_time"], firstPass.Unix())
		}
		if second["iat"] != float64(e.f.Clock.Now().Unix()) {
			t.Errorf("iat %v, want now", second["iat"])
		}
		events, err := s.ListAudit(ctx, models.AuditQuery{Action: "mfa.launch"})
		if err != nil || events.Total != 2 || !strings.Contains(events.Events[0].Details, "passed through challenges [1]") {
			t.Errorf("launch audit events: %+v %v", events.Events, err)
		}
	})
}
