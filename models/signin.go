package models

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// SignInFailure records one wrong password at a portal sign-in. NameMAC
// is the keyed hash of the normalised login name as typed, so unknown
// names are counted like known ones and a password typed into the name
// field is never stored in clear. The count lives in the database, so
// every instance shares it.
type SignInFailure struct {
	ID       int64  `gorm:"primaryKey"`
	NameMAC  string `gorm:"column:name_mac"`
	SourceIP string `gorm:"column:source_ip"`
	At       time.Time
}

// SignInLockout is the end of the last password lockout of a login name.
// The row stays after the lockout ends, because failures before
// LockedUntil do not count towards the next one.
type SignInLockout struct {
	NameMAC     string `gorm:"primaryKey;column:name_mac"`
	LockedUntil time.Time
}

// purposeSignInName is the keyring purpose of SignInFailure.NameMAC.
const purposeSignInName = "sign-in-name"

// Reasons a password check fails, for logs and audit details. They are
// never shown to the client, which gets one message for all of them.
const (
	SignInUnknownUser   = "unknown_user"
	SignInWrongPassword = "wrong_password"
	SignInLocked        = "sign_in_locked"
)

// PasswordSignIn is one password sign-in attempt at a portal.
type PasswordSignIn struct {
	LoginName string
	Password  string
	// Actor names the client (source address, request id) for the failure
	// record and for the audit event of a lockout.
	Actor Actor
}

// PasswordCheck is the outcome of CheckSignInPassword.
type PasswordCheck struct {
	// User is the account of the login name, or nil when none exists.
	User *User
	// Reason is "" when the password is right and password sign-in is not
	// locked, else SignInUnknownUser, SignInWrongPassword or SignInLocked.
	Reason string
	// LockedOut reports whether this attempt started a lockout.
	LockedOut bool
}

// CheckSignInPassword checks the password of a portal sign-in and counts
// wrong ones per login name. When the wrong passwords within
// Settings.SignInFailureWindow reach Settings.SignInMaxFailures, password
// sign-in for that name is locked for Settings.SignInLockoutDuration, even
// with the right password, and the lockout is audited. A correct password
// outside a lockout deletes the earlier failures.
//
// Every path costs one password hash verification and the same queries,
// whether the account exists or not, so neither the outcome nor its timing
// tells the caller more than Reason. The caller still checks whether the
// user may use its portal (disabled, locked, service user, rights).
func (s *Store) CheckSignInPassword(ctx context.Context, in PasswordSignIn) (PasswordCheck, error) {
	nameMAC := s.signInNameMAC(in.LoginName)
	lockout, err := s.signInLockout(ctx, nameMAC)
	if err != nil {
		return PasswordCheck{}, err
	}
	user, err := s.UserByLoginName(ctx, in.LoginName)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return PasswordCheck{}, err
	}

	var out PasswordCheck
	correct := false
	if user == nil {
		s.Hasher.VerifyDummy(in.Password)
		out.Reason = SignInUnknownUser
	} else {
		out.User = user
		ok, verr := s.Hasher.Verify(user.PasswordHash, in.Password)
		if verr != nil {
			// A malformed or empty hash fails fast, so a dummy verification
			// keeps the cost equal.
			s.Hasher.VerifyDummy(in.Password)
		}
		correct = verr == nil && ok
		if !correct {
			out.Reason = SignInWrongPassword
		}
	}

	now := s.Now()
	if lockout != nil && now.Before(lockout.LockedUntil) {
		out.Reason = SignInLocked
		return out, nil
	}
	if correct {
		err := s.conn(ctx).Where("name_mac = ?", nameMAC).Delete(&SignInFailure{}).Error
		return out, err
	}
	out.LockedOut, err = s.recordSignInFailure(ctx, nameMAC, lockout, in, user)
	return out, err
}

// signInNameMAC returns the key under which a login name's failures are
// counted: the hex MAC of its normalised form under the server's secret.
func (s *Store) signInNameMAC(loginName string) string {
	return hex.EncodeToString(s.Keys.MAC(purposeSignInName, []byte(NormalizeLoginName(loginName))))
}

func (s *Store) signInLockout(ctx context.Context, nameMAC string) (*SignInLockout, error) {
	var l SignInLockout
	err := s.conn(ctx).Where("name_mac = ?", nameMAC).Take(&l).Error
	if errors.Is(mapError(err), ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// recordSignInFailure stores a wrong password and starts a lockout when
// the failures since the window's start, or since the end of the previous
// lockout if that is later, reach the limit. It reports whether this call
// started the lockout. When two instances reach the limit together, only
// one of them starts it, so the lockout is audited once.
func (s *Store) recordSignInFailure(ctx context.Context, nameMAC string, previous *SignInLockout, in PasswordSignIn, user *User) (bool, error) {
	now := s.Now()
	window := s.Settings.SignInFailureWindow
	db := s.conn(ctx)
	if err := db.Create(&SignInFailure{NameMAC: nameMAC, SourceIP: in.Actor.SourceIP, At: now}).Error; err != nil {
		return false, err
	}
	// Failures older than the window never count again, and a lockout
	// that ended before the window started no longer limits the count.
	if err := db.Where("at <= ?", now.Add(-window)).Delete(&SignInFailure{}).Error; err != nil {
		return false, err
	}
	if err := db.Where("locked_until <= ?", now.Add(-window)).Delete(&SignInLockout{}).Error; err != nil {
		return false, err
	}
	if s.Settings.SignInMaxFailures <= 0 {
		return false, nil
	}

	since := now.Add(-window)
	if previous != nil && previous.LockedUntil.After(since) {
		since = previous.LockedUntil
	}
	var count int64
	if err := db.Model(&SignInFailure{}).Where("name_mac = ? AND at > ?", nameMAC, since).Count(&count).Error; err != nil {
		return false, err
	}
	if count < int64(s.Settings.SignInMaxFailures) {
		return false, nil
	}

	until := now.Add(s.Settings.SignInLockoutDuration)
	started, err := s.startSignInLockout(ctx, nameMAC, now, until)
	if err != nil || !started {
		return false, err
	}
	entry := AuditEntry{
		Action:     "user.sign_in_lockout",
		ObjectType: "user",
		ObjectName: in.Actor.Name,
		Details:    fmt.Sprintf("%d wrong passwords within %s; password sign-in locked until %s", count, window, until.UTC().Format(time.RFC3339)),
	}
	logArgs := []any{"failures", count, "locked_until", until, "source_ip", in.Actor.SourceIP, "request_id", in.Actor.RequestID}
	if user != nil {
		entry.ObjectID = user.ID
		logArgs = append(logArgs, "user_id", user.ID)
	}
	s.Log.WarnContext(ctx, "password sign-in locked after too many wrong passwords", logArgs...)
	return true, s.RecordAudit(ctx, in.Actor, entry)
}

// startSignInLockout sets the lockout of the name unless one is already in
// force, and reports whether it did.
func (s *Store) startSignInLockout(ctx context.Context, nameMAC string, now, until time.Time) (bool, error) {
	db := s.conn(ctx)
	res := db.Model(&SignInLockout{}).Where("name_mac = ? AND locked_until <= ?", nameMAC, now).Update("locked_until", until)
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	res = db.Clauses(clause.OnConflict{DoNothing: true}).Create(&SignInLockout{NameMAC: nameMAC, LockedUntil: until})
	return res.RowsAffected == 1, res.Error
}

// clearSignInLockout ends the user's password lockout and deletes its
// wrong-password records, for an administrator who unlocks the user.
func (s *Store) clearSignInLockout(ctx context.Context, u *User) error {
	nameMAC := s.signInNameMAC(u.LoginName)
	if err := s.conn(ctx).Where("name_mac = ?", nameMAC).Delete(&SignInFailure{}).Error; err != nil {
		return err
	}
	return s.conn(ctx).Where("name_mac = ?", nameMAC).Delete(&SignInLockout{}).Error
}
