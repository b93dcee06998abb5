package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

var mfaCtx = context.Background()

func startMFA(t *testing.T, f *mfatest.Fixture) (string, *models.MFAState) {
	t.Helper()
	token, st, err := f.Store.StartMFASession(mfaCtx, models.MFAStart{Token: f.MintToken(t), App: f.App, SourceIP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("StartMFASession: %v", err)
	}
	return token, st
}

func choose(t *testing.T, s *models.Store, token string, step int, mech string) {
	t.Helper()
	if _, err := s.ChooseMFAMechanism(mfaCtx, token, step, mech); err != nil {
		t.Fatalf("choose %s at step %d: %v", mech, step, err)
	}
}

func answer(s *models.Store, token string, step int, mech, value string) (*models.MFAState, error) {
	return s.AnswerMFAChallenge(mfaCtx, token, models.MFAAnswer{Step: step, Mechanism: mech, Answer: value, SourceIP: "192.0.2.1"})
}

func TestMFAChallengesRunInOrder(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}, {models.MechSecurityQuestion}}})
		token, st := startMFA(t, f)
		if st.Step != 0 || len(st.Challenges) != 2 || st.Options[0] != models.MechOATH {
			t.Fatalf("initial state: step %d, challenges %v, options %v", st.Step, st.Challenges, st.Options)
		}

		t.Run("later mechanism cannot be chosen first", func(t *testing.T) {
			if _, err := s.ChooseMFAMechanism(mfaCtx, token, 0, models.MechSecurityQuestion); !errors.Is(err, models.ErrMFAStale) {
				t.Fatalf("got %v, want ErrMFAStale", err)
			}
			if _, err := s.ChooseMFAMechanism(mfaCtx, token, 1, models.MechSecurityQuestion); !errors.Is(err, models.ErrMFAStale) {
				t.Fatalf("step 1 form: got %v, want ErrMFAStale", err)
			}
		})
		t.Run("later answer posted directly is refused", func(t *testing.T) {
			choose(t, s, token, 0, models.MechOATH)
			for _, tc := range []struct {
				name string
				step int
				mech string
			}{
				{"second step's form", 1, models.MechSecurityQuestion},
				{"tampered step field", 1, models.MechOATH},
				{"tampered mechanism field", 0, models.MechSecurityQuestion},
				{"step beyond the profile", 3, models.MechOATH},
			} {
				if _, err := answer(s, token, tc.step, tc.mech, mfatest.SecurityAnswer); !errors.Is(err, models.ErrMFAStale) {
					t.Errorf("%s: got %v, want ErrMFAStale", tc.name, err)
				}
			}
			cur, err := s.MFAStateByToken(mfaCtx, token)
			if err != nil || cur.Step != 0 || cur.Session.Failures != 0 {
				t.Fatalf("state changed by refused forms: step %d failures %d err %v", cur.Step, cur.Session.Failures, err)
			}
			if _, err := s.FinishMFASession(mfaCtx, token); !errors.Is(err, models.ErrMFAStale) {
				t.Fatalf("finish before the challenges passed: got %v, want ErrMFAStale", err)
			}
		})

		st, err := answer(s, token, 0, models.MechOATH, f.TOTPCode(t))
		if err != nil || st.Step != 1 {
			t.Fatalf("TOTP answer: step %v, err %v", st, err)
		}

		t.Run("resubmitting the first step does not skip the second", func(t *testing.T) {
			if _, err := answer(s, token, 0, models.MechOATH, f.TOTPCode(t)); !errors.Is(err, models.ErrMFAStale) {
				t.Fatalf("got %v, want ErrMFAStale", err)
			}
			if _, err := s.FinishMFASession(mfaCtx, token); !errors.Is(err, models.ErrMFAStale) {
				t.Fatalf("finish after one of two challenges: got %v, want ErrMFAStale", err)
			}
		})

		choose(t, s, token, 1, models.MechSecurityQuestion)
		st, err = answer(s, token, 1, models.MechSecurityQuestion, "  rex THE   dog ")
		if err != nil || !st.Done() {
			t.Fatalf("security answer: done %v, err %v", st.Done(), err)
		}
		if got := strings.Join(st.Session.AMRValues(), " "); got != "otp kba mfa" {
			t.Errorf("amr %q, want %q", got, "otp kba mfa")
		}
		if _, err := s.FinishMFASession(mfaCtx, token); err != nil {
			t.Fatalf("finish: %v", err)
		}
		if _, err := s.FinishMFASession(mfaCtx, token); !errors.Is(err, models.ErrMFAFinished) {
			t.Fatalf("second finish: got %v, want ErrMFAFinished", err)
		}
	})
}

func TestMFASessionFailsAfterMaxWrongAnswers(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
		token, _ := startMFA(t, f)
		choose(t, s, token, 0, models.MechOATH)

		limit := s.Settings.MFAMaxSessionFailures
		for i := 1; i <= limit; i++ {
			st, err := answer(s, token, 0, models.MechOATH, "000000")
			want := models.ErrMFAWrongAnswer
			if i == limit {
				want = models.ErrMFAFailed
			}
			if !errors.Is(err, want) {
				t.Fatalf("wrong answer %d: got %v, want %v", i, err, want)
			}
			if i < limit && st.TriesLeft != limit-i {
				t.Errorf("tries left after %d wrong answers: %d, want %d", i, st.TriesLeft, limit-i)
			}
		}
		if _, err := answer(s, token, 0, models.MechOATH, f.TOTPCode(t)); !errors.Is(err, models.ErrMFAFailed) {
			t.Fatalf("correct code after the limit: got %v, want ErrMFAFailed", err)
		}
	})
}

func TestMFAConcurrentGuessesAreBounded(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
		token, _ := startMFA(t, f)
		choose(t, s, token, 0, models.MechOATH)

		var wg sync.WaitGroup
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answer(s, token, 0, models.MechOATH, "00000"+string(rune('0'+i%10)))
			}()
		}
		wg.Wait()
		st, err := s.MFAStateByToken(mfaCtx, token)
		if !errors.Is(err, models.ErrMFAFailed) {
			t.Fatalf("state after 12 concurrent wrong answers: %v, want ErrMFAFailed", err)
		}
		if st.Session.Failures > s.Settings.MFAMaxSessionFailures {
			t.Errorf("%d attempts were checked, the limit is %d", st.Session.Failures, s.Settings.MFAMaxSessionFailures)
		}
	})
}

func TestMFAUserLockoutSurvivesNewToken(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		s.Settings.MFAMaxUserFailures = 7
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})

		first, _ := startMFA(t, f)
		choose(t, s, first, 0, models.MechOATH)
		for range s.Settings.MFAMaxSessionFailures {
			answer(s, first, 0, models.MechOATH, "000000")
		}

		second, st := startMFA(t, f)
		if st.TriesLeft != 2 {
			t.Errorf("tries left in a new session: %d, want 2 (the user's count carries over)", st.TriesLeft)
		}
		choose(t, s, second, 0, models.MechOATH)
		if _, err := answer(s, second, 0, models.MechOATH, "000000"); !errors.Is(err, models.ErrMFAWrongAnswer) {
			t.Fatalf("sixth wrong answer: %v", err)
		}
		if _, err := answer(s, second, 0, models.MechOATH, "000000"); !errors.Is(err, models.ErrUserLocked) {
			t.Fatalf("seventh wrong answer: got %v, want ErrUserLocked", err)
		}
		if _, err := answer(s, second, 0, models.MechOATH, f.TOTPCode(t)); err == nil {
			t.Fatal("correct code accepted from a locked user")
		}
		user := f.Reload(t)
		if !user.IsLockedAt(f.Clock.Now()) {
			t.Fatal("user is not locked")
		}
		if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: f.MintToken(t), App: f.App}); !errors.Is(err, models.ErrUserLocked) {
			t.Fatalf("new token for a locked user: got %v, want ErrUserLocked", err)
		}

		f.Clock.Advance(s.Settings.MFALockoutDuration + time.Second)
		_, st = startMFA(t, f)
		if st.TriesLeft != s.Settings.MFAMaxSessionFailures {
			t.Errorf("tries left after the lockout ended: %d, want %d", st.TriesLeft, s.Settings.MFAMaxSessionFailures)
		}
	})
}

func TestTOTPStepAcceptedOnce(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
		code := f.TOTPCode(t)

		first, _ := startMFA(t, f)
		second, _ := startMFA(t, f)
		choose(t, s, first, 0, models.MechOATH)
		choose(t, s, second, 0, models.MechOATH)
		if st, err := answer(s, first, 0, models.MechOATH, code); err != nil || !st.Done() {
			t.Fatalf("first use: %v", err)
		}
		f.Clock.Advance(10 * time.Second)
		if _, err := answer(s, second, 0, models.MechOATH, code); !errors.Is(err, models.ErrMFAWrongAnswer) {
			t.Fatalf("replay in a second session: got %v, want ErrMFAWrongAnswer", err)
		}
	})
}

func TestTOTPConcurrentReplayHasOneWinner(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
		code := f.TOTPCode(t)
		const racers = 4
		tokens := make([]string, racers)
		for i := range tokens {
			tokens[i], _ = startMFA(t, f)
			choose(t, s, tokens[i], 0, models.MechOATH)
		}

		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for _, token := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if st, err := answer(s, token, 0, models.MechOATH, code); err == nil && st.Done() {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of %d concurrent submissions of one code succeeded, want exactly 1", wins, racers)
		}
	})
}

func TestTOTPStepBoundaries(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
		at := func(d time.Duration) string {
			code, err := models.TOTPCode(mfatest.TOTPSecret, mfatest.Base.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
		tests := []struct {
			name   string
			now    time.Duration // clock offset from the start of a step
			codeAt time.Duration // time the code was generated at
			ok     bool
		}{
			{"previous step at the boundary", 0, -time.Second, true},
			{"next step at the last second", 29 * time.Second, 30 * time.Second, true},
			{"two steps back", 0, -31 * time.Second, false},
			{"two steps ahead", 29 * time.Second, 60 * time.Second, false},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Each case runs ten minutes after the previous one, so the
				// steps used earlier are behind it.
				base := time.Duration(i+1) * 10 * time.Minute
				f.Clock.Set(mfatest.Base.Add(base + tt.now))
				token, _ := startMFA(t, f)
				choose(t, s, token, 0, models.MechOATH)
				_, err := answer(s, token, 0, models.MechOATH, at(base+tt.codeAt))
				if (err == nil) != tt.ok {
					t.Fatalf("accepted = %v, want %v (err %v)", err == nil, tt.ok, err)
				}
			})
		}
	})
}

func TestTOTPCodeFormatIsExact(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
		// Find a step whose code starts with a zero.
		for {
			if code := f.TOTPCode(t); code[0] == '0' {
				break
			}
			f.Clock.Advance(30 * time.Second)
		}
		code := f.TOTPCode(t)
		fullwidth, arabic := "", ""
		for _, r := range code {
			fullwidth += string('０' + (r - '0'))
			arabic += string('٠' + (r - '0'))
		}
		rejected := []struct{ name, value string }{
			{"leading zero dropped", code[1:]},
			{"extra leading zero", "0" + code},
			{"plus sign", "+" + code[1:]},
			{"decimal point", code + ".0"},
			{"fullwidth digits", fullwidth},
			{"arabic-indic digits", arabic},
			{"leading space", " " + code},
			{"inner space", code[:3] + " " + code[3:]},
			{"empty", ""},
		}
		token, _ := startMFA(t, f)
		choose(t, s, token, 0, models.MechOATH)
		for _, tc := range rejected[:4] {
			if _, err := answer(s, token, 0, models.MechOATH, tc.value); !errors.Is(err, models.ErrMFAWrongAnswer) {
				t.Errorf("%s (%q): got %v, want ErrMFAWrongAnswer", tc.name, tc.value, err)
			}
		}
		token, _ = startMFA(t, f)
		choose(t, s, token, 0, models.MechOATH)
		for _, tc := range rejected[4:] {
			if _, err := answer(s, token, 0, models.MechOATH, tc.value); err == nil {
				t.Errorf("%s (%q) accepted", tc.name, tc.value)
			}
		}
		if err := s.UpdateUserForTest(mfaCtx, f.User.ID, map[string]any{"locked_until": nil}); err != nil {
			t.Fatal(err)
		}
		token, _ = startMFA(t, f)
		choose(t, s, token, 0, models.MechOATH)
		if _, err := answer(s, token, 0, models.MechOATH, code); err != nil {
			t.Fatalf("exact code %q rejected: %v", code, err)
		}
	})
}

func TestMFAEmailCodeRules(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechEmail, models.MechSMS}}})
		token, st := startMFA(t, f)
		if len(st.Options) != 2 {
			t.Fatalf("options %v, want email and SMS", st.Options)
		}
		if _, _, err := s.IssueMFACode(mfaCtx, token); !errors.Is(err, models.ErrMFAStale) {
			t.Fatalf("code before a mechanism is chosen: got %v, want ErrMFAStale", err)
		}
		choose(t, s, token, 0, models.MechEmail)
		first, _, err := s.IssueMFACode(mfaCtx, token)
		if err != nil || first.Destination != mfatest.Email || len(first.Code) != models.MFACodeDigits {
			t.Fatalf("first code: %+v, %v", first, err)
		}
		rows, err := s.MFASessionCodesForTest(mfaCtx, token)
		if err != nil || len(rows) != 1 || rows[0].CodeHash == "" {
			t.Fatalf("code rows %+v, err %v, want one with a code hash", rows, err)
		}
		if strings.Contains(rows[0].CodeHash, first.Code) || strings.Contains(rows[0].DestinationHash, mfatest.Email) {
			t.Fatal("the session stores the code or the address in clear")
		}

		t.Run("resend waits", func(t *testing.T) {
			if _, _, err := s.IssueMFACode(mfaCtx, token); !errors.Is(err, models.ErrCodeResendTooSoon) {
				t.Fatalf("immediate resend: got %v, want ErrCodeResendTooSoon", err)
			}
		})

		f.Clock.Advance(models.MFACodeResendInterval)
		second, _, err := s.IssueMFACode(mfaCtx, token)
		if err != nil {
			t.Fatalf("resend after the interval: %v", err)
		}
		t.Run("a resent code replaces the old one", func(t *testing.T) {
			if first.Code == second.Code {
				t.Skip("the two random codes happen to be equal")
			}
			if _, err := answer(s, token, 0, models.MechEmail, first.Code); !errors.Is(err, models.ErrMFAWrongAnswer) {
				t.Fatalf("old code: got %v, want ErrMFAWrongAnswer", err)
			}
		})
		t.Run("a code expires", func(t *testing.T) {
			f.Clock.Advance(models.MFACodeTTL)
			if _, err := answer(s, token, 0, models.MechEmail, second.Code); !errors.Is(err, models.ErrMFAWrongAnswer) {
				t.Fatalf("expired code: got %v, want ErrMFAWrongAnswer", err)
			}
		})

		t.Run("sends are limited per destination", func(t *testing.T) {
			var err error
			for range models.MFAMaxCodeSends {
				f.Clock.Advance(models.MFACodeResendInterval)
				_, _, err = s.IssueMFACode(mfaCtx, token)
			}
			if !errors.Is(err, models.ErrCodeSendLimit) {
				t.Fatalf("send %d: got %v, want ErrCodeSendLimit", models.MFAMaxCodeSends+2, err)
			}
		})
	})
}

func TestMFASMSCodeIsSingleUse(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechSMS}, {models.MechSMS}}})
		token, _ := startMFA(t, f)
		choose(t, s, token, 0, models.MechSMS)
		code, _, err := s.IssueMFACode(mfaCtx, token)
		if err != nil || code.Destination != mfatest.Mobile {
			t.Fatalf("issue: %+v %v", code, err)
		}
		if _, err := answer(s, token, 0, models.MechSMS, code.Code); err != nil {
			t.Fatalf("first use: %v", err)
		}
		choose(t, s, token, 1, models.MechSMS)
		if _, err := answer(s, token, 1, models.MechSMS, code.Code); !errors.Is(err, models.ErrMFAWrongAnswer) {
			t.Fatalf("the first challenge's code answered the second: %v", err)
		}
	})
}

func TestStartMFASessionChecks(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechPassword}}})

		t.Run("unknown token", func(t *testing.T) {
			for _, token := range []string{"", "not-a-token", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.e30.", strings.Repeat("a", 300)} {
				if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: f.App}); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("token %.20q: got %v, want ErrNotFound", token, err)
				}
			}
		})
		t.Run("used token", func(t *testing.T) {
			token := f.MintToken(t)
			if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: f.App}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: f.App}); !errors.Is(err, models.ErrTokenUsed) {
				t.Fatalf("got %v, want ErrTokenUsed", err)
			}
		})
		t.Run("expired token", func(t *testing.T) {
			token := f.MintToken(t)
			f.Clock.Advance(models.UserTokenTTL + time.Second)
			if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: f.App}); !errors.Is(err, models.ErrTokenExpired) {
				t.Fatalf("got %v, want ErrTokenExpired", err)
			}
		})
		t.Run("user without run permission keeps the token unused", func(t *testing.T) {
			other := mfatest.NewApp(t, s, mfatest.Options{})
			token := f.MintToken(t)
			if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: other}); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("got %v, want ErrForbidden", err)
			}
			if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: f.App}); err != nil {
				t.Fatalf("the refused start spent the token: %v", err)
			}
		})
		t.Run("run permission through a role", func(t *testing.T) {
			other := mfatest.NewApp(t, s, mfatest.Options{Challenges: [][]string{}})
			if err := s.SetAppPermission(mfaCtx, other.ID, models.PermissionInput{PrincipalType: models.PrincipalRole, PrincipalID: models.RoleEverybody, Run: true}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: f.MintToken(t), App: other}); err != nil {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("disabled user", func(t *testing.T) {
			token := f.MintToken(t)
			if err := s.UpdateUserForTest(mfaCtx, f.User.ID, map[string]any{"disabled": true}); err != nil {
				t.Fatal(err)
			}
			defer s.UpdateUserForTest(mfaCtx, f.User.ID, map[string]any{"disabled": false})
			if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: f.App}); !errors.Is(err, models.ErrUserDisabled) {
				t.Fatalf("got %v, want ErrUserDisabled", err)
			}
		})
		t.Run("session expires", func(t *testing.T) {
			token, _ := startMFA(t, f)
			f.Clock.Advance(models.MFASessionTTL)
			if _, err := s.MFAStateByToken(mfaCtx, token); !errors.Is(err, models.ErrMFAExpired) {
				t.Fatalf("got %v, want ErrMFAExpired", err)
			}
			if _, err := answer(s, token, 0, models.MechPassword, mfatest.Password); !errors.Is(err, models.ErrMFAExpired) {
				t.Fatalf("answer in an expired session: got %v, want ErrMFAExpired", err)
			}
		})
		t.Run("user locked mid-session", func(t *testing.T) {
			token, _ := startMFA(t, f)
			until := f.Clock.Now().Add(time.Hour)
			if err := s.UpdateUserForTest(mfaCtx, f.User.ID, map[string]any{"locked_until": until}); err != nil {
				t.Fatal(err)
			}
			defer s.UpdateUserForTest(mfaCtx, f.User.ID, map[string]any{"locked_until": nil})
			if _, err := s.MFAStateByToken(mfaCtx, token); !errors.Is(err, models.ErrUserLocked) {
				t.Fatalf("got %v, want ErrUserLocked", err)
			}
		})
	})
}

func TestMFAWithoutEnrollmentOffersNothing(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH, models.MechSMS}}, Enroll: []string{models.MechEmail}})
		token, st := startMFA(t, f)
		if len(st.Options) != 0 {
			t.Fatalf("options %v, want none", st.Options)
		}
		if _, err := s.ChooseMFAMechanism(mfaCtx, token, 0, models.MechOATH); !errors.Is(err, models.ErrMFAStale) {
			t.Fatalf("choosing a mechanism the user lacks: got %v", err)
		}
	})
}

func TestMFANoProfileFailsClosed(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{})
		token := f.MintToken(t)
		if _, _, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: f.App}); !errors.Is(err, models.ErrNoAuthProfile) {
			t.Fatalf("app without a profile: got %v, want ErrNoAuthProfile", err)
		}

		empty := mfatest.NewApp(t, s, mfatest.Options{Challenges: [][]string{}})
		if err := s.SetAppPermission(mfaCtx, empty.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: f.User.ID, Run: true}); err != nil {
			t.Fatal(err)
		}
		session, st, err := s.StartMFASession(mfaCtx, models.MFAStart{Token: token, App: empty})
		if err != nil {
			t.Fatalf("the rejected start spent the token, or a profile without challenges failed: %v", err)
		}
		if !st.Done() {
			t.Fatal("a profile without challenges has challenges")
		}
		if _, err := s.FinishMFASession(mfaCtx, session); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMFAProfileRemovedMidSession(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
		token, _ := startMFA(t, f)
		if _, err := s.SetAppAuthProfile(mfaCtx, f.App.ID, ""); err != nil {
			t.Fatal(err)
		}
		st, err := s.MFAStateByToken(mfaCtx, token)
		if !errors.Is(err, models.ErrNoAuthProfile) {
			t.Fatalf("got %v, want ErrNoAuthProfile", err)
		}
		if st == nil {
			t.Fatal("no state returned with ErrNoAuthProfile")
		}
		if _, err := s.FinishMFASession(mfaCtx, token); !errors.Is(err, models.ErrNoAuthProfile) {
			t.Fatalf("finish: got %v, want ErrNoAuthProfile", err)
		}
	})
}
