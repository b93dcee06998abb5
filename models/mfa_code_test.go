package models_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

var emailOrSMS = [][]string{{models.MechEmail, models.MechSMS}}

func issue(t *testing.T, s *models.Store, token string) *models.MFACode {
	t.Helper()
	code, _, err := s.IssueMFACode(mfaCtx, token)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return code
}

func codeSent(t *testing.T, s *models.Store, token string) bool {
	t.Helper()
	st, err := s.MFAStateByToken(mfaCtx, token)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := s.MFACodeSent(mfaCtx, st)
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

func TestMFACodeSwitchSendsAtOnce(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: emailOrSMS})
		token, _ := startMFA(t, f)

		choose(t, s, token, 0, models.MechSMS)
		sms := issue(t, s, token)
		if sms.Destination != mfatest.Mobile {
			t.Fatalf("SMS destination %q", sms.Destination)
		}

		f.Clock.Advance(5 * time.Second)
		choose(t, s, token, 0, "")
		choose(t, s, token, 0, models.MechEmail)
		if sent := codeSent(t, s, token); sent {
			t.Error("the email mechanism reports a code before one was sent")
		}
		email := issue(t, s, token)
		if email.Destination != mfatest.Email {
			t.Fatalf("email destination %q", email.Destination)
		}
		if _, _, err := s.IssueMFACode(mfaCtx, token); !errors.Is(err, models.ErrCodeResendTooSoon) {
			t.Errorf("second email code at once: got %v, want ErrCodeResendTooSoon", err)
		}

		choose(t, s, token, 0, models.MechSMS)
		if _, _, err := s.IssueMFACode(mfaCtx, token); !errors.Is(err, models.ErrCodeResendTooSoon) {
			t.Errorf("SMS again within the interval: got %v, want ErrCodeResendTooSoon", err)
		}
		if !codeSent(t, s, token) {
			t.Error("the SMS code sent earlier is not reported as sent")
		}
		if _, err := answer(s, token, 0, models.MechSMS, email.Code); !errors.Is(err, models.ErrMFAWrongAnswer) && email.Code != sms.Code {
			t.Errorf("the email code answered the SMS challenge: %v", err)
		}
		st, err := answer(s, token, 0, models.MechSMS, sms.Code)
		if err != nil {
			t.Fatalf("the earlier SMS code after switching back: %v", err)
		}
		if !st.Done() {
			t.Error("the challenge did not pass")
		}
	})
}

func TestMFACodeSessionCap(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Settings.MFAMaxSessionFailures = 20
		s.Settings.MFAMaxUserFailures = 20
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechEmail, models.MechSMS}, {models.MechEmail, models.MechSMS}}})
		token, _ := startMFA(t, f)

		// The first challenge sends MFAMaxCodeSends SMS codes, then email
		// codes up to one below the session's cap, so the email code of
		// the second challenge is the session's last allowed send.
		perMechanism := map[string]int{models.MechSMS: models.MFAMaxCodeSends, models.MechEmail: models.MFAMaxSessionCodeSends - models.MFAMaxCodeSends - 1}
		var last *models.MFACode
		for _, mech := range []string{models.MechSMS, models.MechEmail} {
			choose(t, s, token, 0, mech)
			for range perMechanism[mech] {
				last = issue(t, s, token)
				f.Clock.Advance(models.MFACodeResendInterval)
			}
		}
		if _, err := answer(s, token, 0, last.Mechanism, last.Code); err != nil {
			t.Fatalf("pass the first challenge: %v", err)
		}

		choose(t, s, token, 1, models.MechEmail)
		issue(t, s, token)
		choose(t, s, token, 1, models.MechSMS)
		if _, _, err := s.IssueMFACode(mfaCtx, token); !errors.Is(err, models.ErrCodeSendLimit) {
			t.Fatalf("send %d, the first SMS code of the second challenge: got %v, want ErrCodeSendLimit", models.MFAMaxSessionCodeSends+1, err)
		}
		if codeSent(t, s, token) {
			t.Error("a refused send is reported as sent")
		}
	})
}

func TestMFACodeWithdrawn(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: emailOrSMS})
		token, _ := startMFA(t, f)
		choose(t, s, token, 0, models.MechEmail)
		code, st, err := s.IssueMFACode(mfaCtx, token)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WithdrawMFACode(mfaCtx, st, code); err != nil {
			t.Fatal(err)
		}
		if codeSent(t, s, token) {
			t.Error("a withdrawn code is reported as sent")
		}
		again := issue(t, s, token)
		if again.Code == code.Code {
			t.Skip("the two random codes happen to be equal")
		}
		if _, err := answer(s, token, 0, models.MechEmail, code.Code); !errors.Is(err, models.ErrMFAWrongAnswer) {
			t.Errorf("the withdrawn code: got %v, want ErrMFAWrongAnswer", err)
		}
	})
}

func TestPortalCodeSwitchSendsAtOnce(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{})
		st, err := models.NewPortalMFA(f.User.ID, s.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := models.ChoosePortalMechanism(f.User, emailOrSMS, st, 0, models.MechSMS); err != nil {
			t.Fatal(err)
		}
		sms, err := s.IssuePortalCode(f.User, st)
		if err != nil {
			t.Fatal(err)
		}
		if err := models.ChoosePortalMechanism(f.User, emailOrSMS, st, 0, models.MechEmail); err != nil {
			t.Fatal(err)
		}
		if st.CodeSent(f.User, s.Now()) {
			t.Error("the email mechanism reports a code before one was sent")
		}
		email, err := s.IssuePortalCode(f.User, st)
		if err != nil {
			t.Fatalf("email code right after the SMS code: %v", err)
		}
		s.WithdrawPortalCode(f.User, st, email)
		if st.CodeSent(f.User, s.Now()) {
			t.Error("a withdrawn code is reported as sent")
		}

		if err := models.ChoosePortalMechanism(f.User, emailOrSMS, st, 0, models.MechSMS); err != nil {
			t.Fatal(err)
		}
		if _, err := s.IssuePortalCode(f.User, st); !errors.Is(err, models.ErrCodeResendTooSoon) {
			t.Errorf("SMS again within the interval: got %v, want ErrCodeResendTooSoon", err)
		}
		if !st.CodeSent(f.User, s.Now()) {
			t.Error("the SMS code sent earlier is not reported as sent")
		}
		in := models.MFAAnswer{Step: 0, Mechanism: models.MechSMS, Answer: sms.Code}
		if err := s.AnswerPortalChallenge(mfaCtx, f.User, emailOrSMS, st, in); err != nil {
			t.Fatalf("the earlier SMS code after switching back: %v", err)
		}
		if st.Passed != 1 {
			t.Errorf("passed %d, want 1", st.Passed)
		}
	})
}
