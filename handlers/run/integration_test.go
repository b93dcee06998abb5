package run_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/handlers/demoapp"
	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
	"github.com/portcullis-id/portcullis/models/notify"
	"github.com/portcullis-id/portcullis/models/notify/notifytest"
)

// TestRunWholeSequenceWithSMTP walks /run from the form hand-over to the
// demo app, with the email code delivered by a real SMTP server and read
// back from it.
func TestRunWholeSequenceWithSMTP(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		smtpServer := notifytest.StartSMTP(t, nil)
		notifier, err := notify.New(notify.Config{SMTP: notify.SMTPConfig{
			Host: smtpServer.Host, Port: smtpServer.Port, From: "Portcullis <no-reply@portcullis.test>", TLS: notify.TLSNone,
		}}, s, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, s, mfatest.Options{
			Challenges: [][]string{{models.MechEmail}, {models.MechOATH, models.MechSecurityQuestion}},
			LaunchURL:  baseURL + demoapp.AppPath,
		}, notifier)
		b := e.browser(t)

		start := b.post("/run?appkey="+e.f.App.AppKey+"&failureRedirectUrl=%2Fdemo%2Ffailed", url.Values{"icbt": {e.f.MintToken(t)}})
		if start.StatusCode != http.StatusSeeOther {
			t.Fatalf("/run: status %d", start.StatusCode)
		}
		emailPage := b.get(start.Header.Get("Location"))
		if got := emailPage.testID("mfa-destination"); got != "j***@example.com" {
			t.Fatalf("email challenge destination %q: %s", got, emailPage.body)
		}

		mails := smtpServer.Messages()
		if len(mails) != 1 || mails[0].To[0] != mfatest.Email {
			t.Fatalf("SMTP server received %d messages, want 1 to %s", len(mails), mfatest.Email)
		}
		if outbox, _ := s.OutboxMessagesTo(ctx, mfatest.Email); len(outbox) != 0 {
			t.Error("the mail also went to the outbox")
		}
		code := codeIn(t, mails[0].Data[strings.Index(mails[0].Data, "\r\n\r\n"):])

		next := b.answer(emailPage, code)
		choices := b.get(next.Header.Get("Location"))
		if choices.testID("mfa-step") != "Step 2 of 2" {
			t.Fatalf("second challenge: %s", choices.body)
		}
		questionPage := b.get(b.choose(choices, models.MechSecurityQuestion).Header.Get("Location"))
		launch := b.answer(questionPage, mfatest.SecurityAnswer)
		claims := assertionOf(t, e, launch)
		if amr, _ := claims["amr"].([]any); len(amr) != 3 || amr[0] != "email" || amr[1] != "kba" {
			t.Errorf("amr %v, want email kba mfa", amr)
		}

		target, _ := url.Parse(launch.Header.Get("Location"))
		demo := b.get(target.RequestURI())
		if demo.StatusCode != http.StatusOK || demo.doc.Find(`[data-testid="demo-verified"]`).Length() != 1 {
			t.Fatalf("demo app: status %d: %s", demo.StatusCode, demo.body)
		}
		if got := demo.testID("claim-sub"); got != e.f.User.ID {
			t.Errorf("demo app shows sub %q", got)
		}

		t.Run("demo app rejects a tampered assertion", func(t *testing.T) {
			q := target.Query()
			q.Set("assertion", q.Get("assertion")+"x")
			resp := b.get(demoapp.AppPath + "?" + q.Encode())
			if resp.StatusCode != http.StatusUnauthorized || resp.doc.Find(`[data-testid="demo-rejected"]`).Length() != 1 {
				t.Fatalf("status %d", resp.StatusCode)
			}
		})
		t.Run("demo failure page shows only known codes", func(t *testing.T) {
			if got := b.get(demoapp.FailedPath + "?error=locked").testID("demo-error-code"); got != "locked" {
				t.Errorf("code %q", got)
			}
			resp := b.get(demoapp.FailedPath + "?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
			if got := resp.testID("demo-error-code"); got != "unknown" || strings.Contains(resp.body, "<script>") {
				t.Errorf("unknown code shown as %q", got)
			}
		})
	})
}
