package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestPortalMFAFollowsChallenges(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{})
		challenges := [][]string{{models.MechOATH}, {models.MechSMS}}
		st, err := models.NewPortalMFA(f.User.ID, s.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := models.ChoosePortalMechanism(f.User, challenges, st, 1, models.MechSMS); !errors.Is(err, models.ErrMFAStale) {
			t.Fatalf("choosing the second challenge first: %v", err)
		}
		if err := models.ChoosePortalMechanism(f.User, challenges, st, 0, models.MechOATH); err != nil {
			t.Fatal(err)
		}
		in := models.MFAAnswer{Step: 0, Mechanism: models.MechOATH, Answer: f.TOTPCode(t)}
		if err := s.AnswerPortalChallenge(mfaCtx, f.User, challenges, st, in); err != nil || st.Passed != 1 {
			t.Fatalf("TOTP: passed %d, err %v", st.Passed, err)
		}

		if err := models.ChoosePortalMechanism(f.User, challenges, st, 1, models.MechSMS); err != nil {
			t.Fatal(err)
		}
		code, err := s.IssuePortalCode(f.User, st)
		if err != nil || code.Destination != mfatest.Mobile {
			t.Fatalf("issue: %+v %v", code, err)
		}
		if _, err := s.IssuePortalCode(f.User, st); !errors.Is(err, models.ErrCodeResendTooSoon) {
			t.Fatalf("immediate resend: %v", err)
		}
		for i := 1; i < s.Settings.MFAMaxSessionFailures; i++ {
			err := s.AnswerPortalChallenge(mfaCtx, f.User, challenges, st, models.MFAAnswer{Step: 1, Mechanism: models.MechSMS, Answer: "00000" + string(rune('0'+i))})
			if !errors.Is(err, models.ErrMFAWrongAnswer) {
				t.Fatalf("wrong answer %d: %v", i, err)
			}
		}
		if err := s.AnswerPortalChallenge(mfaCtx, f.User, challenges, st, models.MFAAnswer{Step: 1, Mechanism: models.MechSMS, Answer: code.Code}); err != nil {
			t.Fatalf("right code after wrong ones: %v", err)
		}
		if st.Passed != 2 || len(st.AMR) != 2 {
			t.Fatalf("passed %d amr %v", st.Passed, st.AMR)
		}
	})
}

func TestPortalMFAFailsAfterMaxWrongAnswers(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{})
		challenges := [][]string{{models.MechPassword}}
		st, _ := models.NewPortalMFA(f.User.ID, s.Now())
		models.ChoosePortalMechanism(f.User, challenges, st, 0, models.MechPassword)
		var err error
		for range s.Settings.MFAMaxSessionFailures {
			err = s.AnswerPortalChallenge(mfaCtx, f.User, challenges, st, models.MFAAnswer{Step: 0, Mechanism: models.MechPassword, Answer: "wrong"})
		}
		if !errors.Is(err, models.ErrMFAFailed) {
			t.Fatalf("last wrong answer: %v", err)
		}
		if err := s.AnswerPortalChallenge(mfaCtx, f.User, challenges, st, models.MFAAnswer{Step: 0, Mechanism: models.MechPassword, Answer: mfatest.Password}); !errors.Is(err, models.ErrMFAFailed) {
			t.Fatalf("right answer after the limit: %v", err)
		}
	})
}

func TestContactCodeRules(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{})
		p := &models.PendingContact{Value: "new@example.org"}
		code, err := s.IssueContactCode(f.User.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ConfirmContactCode("other-user", p, code); !errors.Is(err, models.ErrWrongCode) {
			t.Fatalf("code of another user: %v", err)
		}
		f.Clock.Advance(models.MFACodeTTL)
		if err := s.ConfirmContactCode(f.User.ID, p, code); !errors.Is(err, models.ErrWrongCode) {
			t.Fatalf("expired code: %v", err)
		}
		code, _ = s.IssueContactCode(f.User.ID, p)
		if err := s.ConfirmContactCode(f.User.ID, p, code); err != nil {
			t.Fatalf("right code: %v", err)
		}
		if err := s.ConfirmContactCode(f.User.ID, p, code); err == nil {
			t.Fatal("the code worked twice")
		}

		q := &models.PendingContact{Value: "x@example.org"}
		s.IssueContactCode(f.User.ID, q)
		for range models.MaxContactCodeTries - 1 {
			s.ConfirmContactCode(f.User.ID, q, "000000")
		}
		if err := s.ConfirmContactCode(f.User.ID, q, "000000"); !errors.Is(err, models.ErrMFAFailed) {
			t.Fatalf("last try: %v", err)
		}
	})
}

func TestTOTPQRCodeEncodesKeyURI(t *testing.T) {
	uri := models.TOTPKeyURI("jane@example.com", mfatest.TOTPSecret)
	for _, want := range []string{"otpauth://totp/Portcullis:jane@example.com?", "secret=" + mfatest.TOTPSecret, "issuer=Portcullis", "digits=6", "period=30"} {
		if !strings.Contains(uri, want) {
			t.Errorf("URI %q lacks %q", uri, want)
		}
	}
	png, err := models.TOTPQRCodePNG(uri, 200)
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("PNG: %d bytes, err %v", len(png), err)
	}
}
