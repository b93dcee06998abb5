package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// passThroughChallenges are the challenges of the pass-through tests.
var passThroughChallenges = [][]string{{models.MechOATH}, {models.MechSecurityQuestion}}

// newPassThroughFixture returns a fixture whose profile has the
// pass-through duration.
func newPassThroughFixture(t *testing.T, s *models.Store, minutes int) *mfatest.Fixture {
	t.Helper()
	f := mfatest.New(t, s, mfatest.Options{Challenges: passThroughChallenges})
	setPassThrough(t, f, passThroughChallenges, minutes)
	return f
}

func setPassThrough(t *testing.T, f *mfatest.Fixture, challenges [][]string, minutes int) {
	t.Helper()
	in := models.AuthProfileInput{Name: f.Profile.Name, Challenges: challenges, PassThroughMinutes: minutes}
	if _, err := f.Store.UpdateAuthProfile(context.Background(), f.Profile.ID, in); err != nil {
		t.Fatal(err)
	}
}

// passNext answers the current challenge of the session correctly.
func passNext(t *testing.T, f *mfatest.Fixture, token string, st *models.MFAState) *models.MFAState {
	t.Helper()
	mech := st.Challenges[st.Step][0]
	choose(t, f.Store, token, st.Step, mech)
	value := mfatest.SecurityAnswer
	if mech == models.MechOATH {
		value = f.TOTPCode(t)
	}
	next, err := answer(f.Store, token, st.Step, mech, value)
	if err != nil {
		t.Fatalf("answer %s: %v", mech, err)
	}
	return next
}

// passAll runs one /run session through every challenge it asks and
// launches it.
func passAll(t *testing.T, f *mfatest.Fixture) *models.MFAState {
	t.Helper()
	token, st := startMFA(t, f)
	for !st.Done() {
		st = passNext(t, f, token, st)
	}
	st, err := f.Store.FinishMFASession(mfaCtx, token)
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	return st
}

func TestMFAPassThroughSkipsPassedChallenges(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := newPassThroughFixture(t, s, 30)
		first := f.Clock.Now()
		st := passAll(t, f)
		if got := strings.Join(st.Session.AMRValues(), " "); got != "otp kba mfa" {
			t.Errorf("first launch amr %q", got)
		}
		if got := st.AuthTime(f.Clock.Now()); !got.Equal(first) {
			t.Errorf("first launch auth_time %s, want now %s", got, first)
		}

		f.Clock.Advance(10 * time.Minute)
		_, st = startMFA(t, f)
		if !st.Done() || len(st.Challenges) != 0 {
			t.Fatalf("second launch within the duration asks %v", st.Challenges)
		}
		if got := st.Session.AMRValues(); len(got) != 0 {
			t.Errorf("amr %v for a launch that asked nothing, want none", got)
		}
		if got := st.AuthTime(f.Clock.Now()); !got.Equal(first) {
			t.Errorf("auth_time %s, want the earlier pass at %s", got, first)
		}
		if got := st.PassedThroughChallenges(); !slices.Equal(got, []int{1, 2}) {
			t.Errorf("passed-through challenges %v, want [1 2]", got)
		}
	})
}

func TestMFAPassThroughRules(t *testing.T) {
	tests := []struct {
		name string
		// minutes is the profile's pass-through duration.
		minutes int
		// between runs after the first launch, ten minutes later.
		between func(t *testing.T, f *mfatest.Fixture)
		// want are the challenges the next launch asks.
		want [][]string
	}{
		{"zero duration always asks", 0, func(*testing.T, *mfatest.Fixture) {}, passThroughChallenges},
		{"within the duration asks none", 30, func(*testing.T, *mfatest.Fixture) {}, nil},
		{"after the duration asks all", 30, func(_ *testing.T, f *mfatest.Fixture) { f.Clock.Advance(20 * time.Minute) }, passThroughChallenges},
		{"edited challenge is asked again", 30, func(t *testing.T, f *mfatest.Fixture) {
			setPassThrough(t, f, [][]string{{models.MechOATH, models.MechSMS}, {models.MechSecurityQuestion}}, 30)
		}, [][]string{{models.MechOATH, models.MechSMS}}},
		{"MFA reset asks all", 30, func(t *testing.T, f *mfatest.Fixture) {
			if err := f.Store.ResetMFA(context.Background(), models.Actor{Name: "test"}, f.User.ID); err != nil {
				t.Fatal(err)
			}
			mfatest.EnrollUser(t, f.Store, f.User.ID, models.MechOATH, models.MechSecurityQuestion)
		}, passThroughChallenges},
		{"password reset asks all", 30, func(t *testing.T, f *mfatest.Fixture) {
			if err := f.Store.ResetPassword(context.Background(), models.Actor{Name: "test"}, f.User.ID, "new-password-0002", false); err != nil {
				t.Fatal(err)
			}
		}, passThroughChallenges},
	}
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := newPassThroughFixture(t, s, tt.minutes)
				passAll(t, f)
				f.Clock.Advance(10 * time.Minute)
				tt.between(t, f)
				_, st := startMFA(t, f)
				if !slices.EqualFunc(st.Challenges, tt.want, slices.Equal) {
					t.Errorf("asks %v, want %v", st.Challenges, tt.want)
				}
			})
		}
	})
}

func TestMFAPassThroughIsPerAppAndChallenge(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		f := newPassThroughFixture(t, s, 30)
		token, st := startMFA(t, f)
		passNext(t, f, token, st)
		if err := s.FailMFASession(mfaCtx, token); err != nil {
			t.Fatal(err)
		}

		f.Clock.Advance(time.Minute)
		token, st = startMFA(t, f)
		if !slices.EqualFunc(st.Challenges, passThroughChallenges[1:], slices.Equal) {
			t.Fatalf("after passing only the first challenge, asks %v", st.Challenges)
		}
		st = passNext(t, f, token, st)
		if !st.Done() || st.Session.AMR != models.MechSecurityQuestion {
			t.Errorf("done %v, session mechanisms %q, want only the security question", st.Done(), st.Session.AMR)
		}

		other, err := s.SetAppAuthProfile(context.Background(), mfatest.NewApp(t, s, mfatest.Options{}).ID, f.Profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetAppPermission(context.Background(), other.ID, models.PermissionInput{PrincipalType: models.PrincipalUser, PrincipalID: f.User.ID, Run: true}); err != nil {
			t.Fatal(err)
		}
		_, st, err = s.StartMFASession(mfaCtx, models.MFAStart{Token: f.MintToken(t), App: other})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Challenges) != 2 {
			t.Errorf("another app with the same profile asks %v, want both challenges", st.Challenges)
		}
	})
}
