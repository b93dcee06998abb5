package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// signInEnv is a store with a settable clock, a lockout after three wrong
// passwords within ten minutes, and one user.
type signInEnv struct {
	s     *models.Store
	clock *mfatest.Clock
	user  *models.User
}

func newSignInEnv(t *testing.T, s *models.Store) *signInEnv {
	t.Helper()
	clock := mfatest.NewClock()
	s.Now = clock.Now
	s.Settings.SignInMaxFailures = 3
	s.Settings.SignInFailureWindow = 10 * time.Minute
	s.Settings.SignInLockoutDuration = 15 * time.Minute
	u, err := s.CreateUser(context.Background(), models.NewUser{LoginName: modeltest.Name("signin"), Password: mfatest.Password})
	if err != nil {
		t.Fatal(err)
	}
	return &signInEnv{s: s, clock: clock, user: u}
}

func (e *signInEnv) try(t *testing.T, loginName, password string) models.PasswordCheck {
	t.Helper()
	out, err := e.s.CheckSignInPassword(context.Background(), models.PasswordSignIn{
		LoginName: loginName, Password: password, Actor: models.Actor{Name: loginName, SourceIP: "192.0.2.7"},
	})
	if err != nil {
		t.Fatalf("CheckSignInPassword: %v", err)
	}
	return out
}

func (e *signInEnv) lockoutEvents(t *testing.T) int64 {
	t.Helper()
	page, err := e.s.ListAudit(context.Background(), models.AuditQuery{Action: "user.sign_in_lockout"})
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

func TestSignInLockoutAfterMaxFailures(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newSignInEnv(t, s)
		if got := e.try(t, e.user.LoginName, mfatest.Password); got.Reason != "" || got.User == nil {
			t.Fatalf("right password: reason %q, user %v", got.Reason, got.User)
		}
		for i := 1; i <= 3; i++ {
			got := e.try(t, e.user.LoginName, "wrong-password")
			if got.Reason != models.SignInWrongPassword {
				t.Fatalf("wrong password %d: reason %q", i, got.Reason)
			}
			if got.LockedOut != (i == 3) {
				t.Errorf("wrong password %d: LockedOut %v", i, got.LockedOut)
			}
		}
		if got := e.try(t, e.user.LoginName, mfatest.Password); got.Reason != models.SignInLocked {
			t.Fatalf("right password during the lockout: reason %q, want %q", got.Reason, models.SignInLocked)
		}
		if got := e.try(t, "  "+e.user.LoginName, mfatest.Password); got.Reason != models.SignInLocked {
			t.Errorf("the same name with other spacing escaped the lockout: reason %q", got.Reason)
		}
		if got := e.lockoutEvents(t); got != 1 {
			t.Errorf("%d lockout audit events, want 1", got)
		}

		e.clock.Advance(15 * time.Minute)
		if got := e.try(t, e.user.LoginName, "wrong-password"); got.Reason != models.SignInWrongPassword || got.LockedOut {
			t.Fatalf("first wrong password after the lockout: reason %q, locked out %v", got.Reason, got.LockedOut)
		}
		if got := e.try(t, e.user.LoginName, mfatest.Password); got.Reason != "" {
			t.Fatalf("right password after the lockout: reason %q", got.Reason)
		}
	})
}

func TestSignInFailureCounting(t *testing.T) {
	tests := []struct {
		name string
		// between runs before the third wrong password.
		between    func(t *testing.T, e *signInEnv)
		wantLocked bool
	}{
		{"three in a row lock", func(*testing.T, *signInEnv) {}, true},
		{"failures outside the window do not count", func(_ *testing.T, e *signInEnv) { e.clock.Advance(10 * time.Minute) }, false},
		{"a right password forgets the failures", func(t *testing.T, e *signInEnv) { e.try(t, e.user.LoginName, mfatest.Password) }, false},
		{"another name has its own count", func(t *testing.T, e *signInEnv) { e.try(t, "someone-else@example.test", "x") }, true},
		{"the limit can be turned off", func(_ *testing.T, e *signInEnv) { e.s.Settings.SignInMaxFailures = 0 }, false},
	}
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newSignInEnv(t, s)
				e.try(t, e.user.LoginName, "wrong-1")
				e.try(t, e.user.LoginName, "wrong-2")
				tt.between(t, e)
				if got := e.try(t, e.user.LoginName, "wrong-3"); got.LockedOut != tt.wantLocked {
					t.Fatalf("third wrong password: LockedOut %v, want %v", got.LockedOut, tt.wantLocked)
				}
				locked := e.try(t, e.user.LoginName, mfatest.Password).Reason == models.SignInLocked
				if locked != tt.wantLocked {
					t.Errorf("right password afterwards locked %v, want %v", locked, tt.wantLocked)
				}
			})
		}
	})
}

func TestSignInLockoutOfUnknownName(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newSignInEnv(t, s)
		const name = "no-such-user-01@example.test"
		var last models.PasswordCheck
		for range 3 {
			last = e.try(t, name, "x")
		}
		if last.Reason != models.SignInUnknownUser || !last.LockedOut || last.User != nil {
			t.Fatalf("third try: reason %q, locked out %v, user %v", last.Reason, last.LockedOut, last.User)
		}
		if got := e.try(t, name, "x"); got.Reason != models.SignInLocked {
			t.Errorf("fourth try: reason %q, want the same lockout as a real user", got.Reason)
		}
	})
}

func TestUnlockEndsSignInLockout(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		e := newSignInEnv(t, s)
		for range 3 {
			e.try(t, e.user.LoginName, "wrong-password")
		}
		if err := s.SetUserLocked(context.Background(), models.Actor{Name: "test"}, e.user.ID, false); err != nil {
			t.Fatal(err)
		}
		if got := e.try(t, e.user.LoginName, mfatest.Password); got.Reason != "" {
			t.Fatalf("right password after unlock: reason %q", got.Reason)
		}
	})
}
