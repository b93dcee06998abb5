package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Limits of the on-demand MFA flow behind /run.
const (
	// MFASessionTTL is how long a user has to answer every challenge after
	// the icbt token was exchanged.
	MFASessionTTL = 15 * time.Minute
	// MFACodeTTL is how long an email or SMS code stays valid.
	MFACodeTTL = 10 * time.Minute
	// MFACodeDigits is the length of email and SMS codes.
	MFACodeDigits = 6
	// MFACodeResendInterval is the minimum time between two codes sent to
	// one destination for one challenge.
	MFACodeResendInterval = 30 * time.Second
	// MFAMaxCodeSends is the number of codes one challenge may send to one
	// destination.
	MFAMaxCodeSends = 5
	// MFAMaxSessionCodeSends is the number of codes one MFA session or
	// portal sign-in may send in all, whatever their destinations.
	MFAMaxSessionCodeSends = 10
)

// Errors of the MFA engine. ErrMFAWrongAnswer covers every rejected
// answer (wrong, replayed, expired code), so callers show one message.
var (
	ErrMFAExpired        = errors.New("MFA session expired")
	ErrMFAFailed         = errors.New("MFA session failed after too many wrong answers")
	ErrMFAFinished       = errors.New("MFA session already launched its app")
	ErrMFAWrongAnswer    = errors.New("MFA answer rejected")
	ErrMFAStale          = errors.New("the form does not match the current challenge")
	ErrUserLocked        = errors.New("user is locked")
	ErrUserDisabled      = errors.New("user is disabled")
	ErrCodeResendTooSoon = errors.New("a code was sent to this destination less than 30 seconds ago")
	ErrCodeSendLimit     = errors.New("the maximum number of codes was sent to this destination or in this MFA session")
	// ErrNoAuthProfile is the error for an app without an authentication
	// profile. /run fails closed for it: a profile with no challenges is
	// the explicit way to launch an app without MFA.
	ErrNoAuthProfile = errors.New("app has no authentication profile")
)

// MFAState is one MFA session with what the challenge page needs.
type MFAState struct {
	Session *MFASession
	User    *User
	App     *App
	// Challenges are the challenges of the app's profile that this session
	// asks, in order: every challenge except those skipped because of the
	// profile's pass-through duration.
	Challenges [][]string
	// Step is the index in Challenges of the challenge to answer next,
	// which is the number of challenges passed so far in this session.
	Step int
	// Options are the mechanisms of challenge Step the user is enrolled in.
	Options []string
	// TriesLeft is the number of wrong answers still allowed, the lower of
	// the session's and the user's remaining counts.
	TriesLeft int

	// profile is the app's authentication profile, or nil, and indexes
	// maps each entry of Challenges to its index in the profile.
	profile *AuthProfile
	indexes []int
}

// Done reports whether every challenge has passed.
func (st *MFAState) Done() bool { return st.Step >= len(st.Challenges) }

// Mechanism returns the mechanism chosen for the current challenge, or "".
func (st *MFAState) Mechanism() string { return st.Session.ChallengeMechanism }

// MFAStart is what /run hands over to start an MFA session.
type MFAStart struct {
	// Token is the icbt token as the client sent it.
	Token string
	App   *App
	// FailureURL is a failure redirect target that ValidateRedirect has
	// accepted, or "".
	FailureURL string
	SourceIP   string
	// Replaces is the token of the browser's earlier MFA session, or "".
	// A start that succeeds expires that session if it is still active.
	Replaces string
}

// StartMFASession consumes the icbt token and creates an MFA session for
// the token's user and the app, in one transaction: when any check fails,
// the token stays unused. It returns the MFA session token (the value to
// keep in the browser's session) and the session's state.
//
// Errors: ErrNotFound, ErrTokenExpired and ErrTokenUsed for a bad token;
// ErrUserDisabled and ErrUserLocked for the user; ErrForbidden when the
// user may not run the app; ErrNoAuthProfile when the app has no
// authentication profile.
func (s *Store) StartMFASession(ctx context.Context, in MFAStart) (string, *MFAState, error) {
	token, err := newMFASessionToken()
	if err != nil {
		return "", nil, err
	}
	var (
		sess *MFASession
		user *User
	)
	err = s.InTx(ctx, func(tx *Store) error {
		ut, err := tx.ConsumeUserToken(ctx, in.Token)
		if err != nil {
			return err
		}
		user, err = tx.UserByID(ctx, ut.UserID)
		if err != nil {
			return err
		}
		if err := tx.checkUserMayAnswer(user); err != nil {
			return err
		}
		if user.IsServiceUser {
			return ErrForbidden
		}
		rights, err := tx.AppRightsOf(ctx, user, in.App.ID)
		if err != nil {
			return err
		}
		if !rights.Run {
			return ErrForbidden
		}

		now := tx.Now()
		profile, err := tx.profileOf(ctx, in.App)
		if err != nil {
			return err
		}
		if profile == nil {
			return ErrNoAuthProfile
		}
		passedThrough, passedThroughAt, err := tx.passedThrough(ctx, user.ID, in.App.ID, profile, now)
		if err != nil {
			return err
		}
		if err := tx.expireMFASession(ctx, in.Replaces); err != nil {
			return err
		}
		challenges, _ := remainingChallenges(profile.Challenges(), passedThrough)
		sess = &MFASession{
			ID:                 HashToken(token),
			UserID:             user.ID,
			AppID:              in.App.ID,
			Status:             MFAActive,
			FailureURL:         in.FailureURL,
			ChallengeMechanism: presetMechanism(user, challenges, 0),
			CreatedAt:          now,
			ExpiresAt:          now.Add(MFASessionTTL),
			PassedThrough:      passedThrough,
			PassedThroughAt:    passedThroughAt,
		}
		return tx.conn(ctx).Create(sess).Error
	})
	if err != nil {
		return "", nil, err
	}
	// The state is built from the session and user rows the transaction
	// wrote and read, so starting does not read them again.
	app, err := s.AppByID(ctx, in.App.ID)
	if err != nil {
		return token, nil, err
	}
	st, err := s.mfaState(ctx, sess, user, app)
	return token, st, err
}

// expireMFASession ends the active MFA session of the token, if there is
// one, as if its time had run out.
func (s *Store) expireMFASession(ctx context.Context, token string) error {
	if token == "" || len(token) > maxUserTokenLength {
		return nil
	}
	now := s.Now()
	return s.conn(ctx).Model(&MFASession{}).
		Where("id = ? AND status = ? AND expires_at > ?", HashToken(token), MFAActive, now).
		Update("expires_at", now).Error
}

// presetMechanism returns the mechanism a challenge starts with. That is
// the only mechanism of the challenge the user is enrolled in, when it
// needs no code sent, so opening the page writes nothing. Otherwise it
// returns "", and the user picks, or the page picks and sends the code.
func presetMechanism(user *User, challenges [][]string, step int) string {
	if step >= len(challenges) {
		return ""
	}
	only := ""
	for _, m := range challenges[step] {
		if !IsEnrolled(user, m) {
			continue
		}
		if only != "" {
			return ""
		}
		only = m
	}
	if IsCodeMechanism(only) {
		return ""
	}
	return only
}

func newMFASessionToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// checkUserMayAnswer rejects users who are disabled or locked now.
func (s *Store) checkUserMayAnswer(u *User) error {
	if u.Disabled {
		return ErrUserDisabled
	}
	if u.IsLockedAt(s.Now()) {
		return ErrUserLocked
	}
	return nil
}

// MFAStateByToken loads the MFA session of the token with its user, app
// and current challenge. The state is returned with ErrMFAExpired,
// ErrMFAFailed, ErrMFAFinished, ErrUserDisabled, ErrUserLocked and
// ErrNoAuthProfile too, so the caller can use the session's failure URL.
// It is nil only with ErrNotFound or a database error. A session whose user became disabled
// or locked is marked failed.
func (s *Store) MFAStateByToken(ctx context.Context, token string) (*MFAState, error) {
	if token == "" || len(token) > maxUserTokenLength {
		return nil, ErrNotFound
	}
	var sess MFASession
	if err := s.conn(ctx).Where("id = ?", HashToken(token)).Take(&sess).Error; err != nil {
		return nil, mapError(err)
	}
	user, err := s.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	app, err := s.AppByID(ctx, sess.AppID)
	if err != nil {
		return nil, err
	}
	return s.mfaState(ctx, &sess, user, app)
}

// mfaState is MFAStateByToken for a session whose user and app the caller
// has read.
func (s *Store) mfaState(ctx context.Context, sess *MFASession, user *User, app *App) (*MFAState, error) {
	profile, err := s.profileOf(ctx, app)
	if err != nil {
		return nil, err
	}
	var all [][]string
	if profile != nil {
		all = profile.Challenges()
	}
	challenges, indexes := remainingChallenges(all, sess.PassedThrough)

	st := &MFAState{Session: sess, User: user, App: app, Challenges: challenges, Step: sess.Passed, profile: profile, indexes: indexes}
	if st.Step < len(challenges) {
		for _, m := range challenges[st.Step] {
			if IsEnrolled(user, m) {
				st.Options = append(st.Options, m)
			}
		}
	}

	switch sess.Status {
	case MFAFailed:
		return st, ErrMFAFailed
	case MFALaunched:
		return st, ErrMFAFinished
	}
	if !s.Now().Before(sess.ExpiresAt) {
		return st, ErrMFAExpired
	}
	if err := s.checkUserMayAnswer(user); err != nil {
		if ferr := s.failMFASession(ctx, sess.ID); ferr != nil {
			return nil, ferr
		}
		sess.Status = MFAFailed
		return st, err
	}
	if !app.Enabled {
		return st, ErrMFAExpired
	}
	// A profile removed from the app mid-session leaves no challenges,
	// which must not count as all of them passed.
	if profile == nil {
		return st, ErrNoAuthProfile
	}
	st.TriesLeft, err = s.triesLeft(ctx, sess, user)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// profileOf returns the app's authentication profile, or nil when the app
// has none.
func (s *Store) profileOf(ctx context.Context, app *App) (*AuthProfile, error) {
	if app.AuthProfileID == nil || *app.AuthProfileID == "" {
		return nil, nil
	}
	profile, err := s.AuthProfileByID(ctx, *app.AuthProfileID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return profile, err
}

// triesLeft returns how many wrong answers the session and the user may
// still give. user is the session's user as the caller read it.
func (s *Store) triesLeft(ctx context.Context, sess *MFASession, user *User) (int, error) {
	userFailures, err := s.countFailuresSince(ctx, user.ID, user.LockedUntil, user.LastMFAFailureAt)
	if err != nil {
		return 0, err
	}
	left := min(s.Settings.MFAMaxSessionFailures-sess.Failures, s.Settings.MFAMaxUserFailures-int(userFailures))
	return max(left, 0), nil
}

// ChooseMFAMechanism selects the mechanism the user answers the current
// challenge with; "" goes back to the list of mechanisms. step is the
// challenge index the form was rendered for: a form of another step gets
// ErrMFAStale and changes nothing. Choosing a mechanism the challenge does
// not allow or the user is not enrolled in also gets ErrMFAStale.
func (s *Store) ChooseMFAMechanism(ctx context.Context, token string, step int, mechanism string) (*MFAState, error) {
	st, err := s.MFAStateByToken(ctx, token)
	if err != nil {
		return st, err
	}
	return s.ChooseMFAMechanismIn(ctx, st, step, mechanism)
}

// ChooseMFAMechanismIn is ChooseMFAMechanism on a state that the caller
// loaded with MFAStateByToken in the same request, which saves loading it
// twice. The UPDATE checks the session's status and step again, so a state
// that another request changed meanwhile gets ErrMFAStale.
func (s *Store) ChooseMFAMechanismIn(ctx context.Context, st *MFAState, step int, mechanism string) (*MFAState, error) {
	if step != st.Step || st.Done() || (mechanism != "" && !slices.Contains(st.Options, mechanism)) {
		return st, ErrMFAStale
	}

	res := s.conn(ctx).Model(&MFASession{}).
		Where("id = ? AND status = ? AND passed = ?", st.Session.ID, MFAActive, st.Step).
		Update("challenge_mechanism", mechanism)
	if res.Error != nil {
		return st, res.Error
	}
	if res.RowsAffected == 0 {
		return st, ErrMFAStale
	}
	st.Session.ChallengeMechanism = mechanism
	return st, nil
}

// MFACode is a code issued for an email or SMS challenge, to be delivered
// to Destination. Code is in clear only here; the session stores its MAC.
type MFACode struct {
	Code        string
	Mechanism   string
	Destination string
}

// codeBinding ties a code to one session, challenge and mechanism.
func codeBinding(sess *MFASession, mechanism string) string {
	return fmt.Sprintf("mfa-session:%s:%d:%s", sess.ID, sess.Passed, mechanism)
}

// MFAAnswer is one submitted answer. Step and Mechanism are what the form
// was rendered for; they only detect stale forms and never choose the
// challenge, which comes from the session.
type MFAAnswer struct {
	Step      int
	Mechanism string
	Answer    string
	SourceIP  string
}

// AnswerMFAChallenge checks an answer to the current challenge.
//
// A correct answer passes the challenge, and the returned state names the
// next one or is Done. A wrong answer returns ErrMFAWrongAnswer with the
// state's TriesLeft updated. When it used the session's last try, the
// result is ErrMFAFailed and the session rejects every later answer,
// correct or not. When it used the user's last try within
// Settings.MFALockoutWindow, the result is ErrUserLocked and the user is
// locked for Settings.MFALockoutDuration. A form for another step or
// mechanism returns ErrMFAStale and is not counted.
//
// The attempt is counted in the session before the answer is checked and
// taken back only on success, so concurrent guesses cannot exceed
// Settings.MFAMaxSessionFailures.
func (s *Store) AnswerMFAChallenge(ctx context.Context, token string, in MFAAnswer) (*MFAState, error) {
	st, err := s.MFAStateByToken(ctx, token)
	if err != nil {
		return st, err
	}
	sess := st.Session
	mech := sess.ChallengeMechanism
	if in.Step != st.Step || st.Done() || mech == "" || in.Mechanism != mech || !slices.Contains(st.Options, mech) {
		return st, ErrMFAStale
	}

	res := s.conn(ctx).Model(&MFASession{}).
		Where("id = ? AND status = ? AND passed = ? AND failures < ?", sess.ID, MFAActive, st.Step, s.Settings.MFAMaxSessionFailures).
		Update("failures", gorm.Expr("failures + 1"))
	if res.Error != nil {
		return st, res.Error
	}
	if res.RowsAffected == 0 {
		return s.refusedAttempt(ctx, token, st)
	}

	ok, code, err := s.checkAnswer(ctx, st, in.Answer)
	if err != nil {
		return st, err
	}
	if ok {
		passed, err := s.passChallenge(ctx, st, code)
		if err != nil {
			return st, err
		}
		if passed {
			return s.MFAStateByToken(ctx, token)
		}
	}
	return s.recordWrongAnswer(ctx, token, st, in.SourceIP)
}

// refusedAttempt explains why an attempt could not be reserved: another
// request passed the challenge first, or the session has no tries left.
func (s *Store) refusedAttempt(ctx context.Context, token string, st *MFAState) (*MFAState, error) {
	current, err := s.MFAStateByToken(ctx, token)
	if err != nil {
		return current, err
	}
	if current.Step != st.Step {
		return current, ErrMFAStale
	}
	if current.Session.Failures >= s.Settings.MFAMaxSessionFailures {
		if err := s.failMFASession(ctx, current.Session.ID); err != nil {
			return current, err
		}
		return current, ErrMFAFailed
	}
	return current, ErrMFAStale
}

// checkAnswer verifies the answer for the session's chosen mechanism. For
// email and SMS it also returns the code row that was checked, which
// passChallenge uses up.
func (s *Store) checkAnswer(ctx context.Context, st *MFAState, answer string) (bool, *MFASessionCode, error) {
	sess := st.Session
	check := codeCheck{binding: codeBinding(sess, sess.ChallengeMechanism)}
	var row *MFASessionCode
	if codeDestination(st.User, sess.ChallengeMechanism) != "" {
		var err error
		if row, err = s.sessionCode(ctx, sessionCodeKey(st)); err != nil {
			return false, nil, err
		}
		if row != nil {
			check.hash, check.expiresAt = row.CodeHash, row.ExpiresAt
		}
	}
	ok, err := s.verifyMechanism(ctx, st.User, sess.ChallengeMechanism, answer, check)
	return ok, row, err
}

// codeCheck is the stored side of an email or SMS code.
type codeCheck struct {
	hash      string
	binding   string
	expiresAt *time.Time
}

// verifyMechanism checks one answer for a mechanism. TOTP records the
// accepted step, so the same code never passes twice.
func (s *Store) verifyMechanism(ctx context.Context, user *User, mechanism, answer string, code codeCheck) (bool, error) {
	switch mechanism {
	case MechPassword:
		return s.VerifyUserPassword(user, answer), nil
	case MechSecurityQuestion:
		return s.VerifySecurityAnswer(user, answer), nil
	case MechOATH:
		return s.VerifyUserTOTP(ctx, user, answer)
	case MechEmail, MechSMS:
		if code.expiresAt == nil || !s.Now().Before(*code.expiresAt) {
			return false, nil
		}
		return s.MatchMFACode(code.hash, code.binding, answer), nil
	}
	return false, nil
}

// passChallenge records a passed challenge, in the session and as the
// user's pass for the pass-through duration, and gives back the attempt
// reserved for it. For email and SMS, code is the row that was checked:
// the transaction clears it only while it still holds the checked code,
// so a code passes at most once. It returns false when another request
// changed the session or used the code first.
func (s *Store) passChallenge(ctx context.Context, st *MFAState, code *MFASessionCode) (bool, error) {
	sess := st.Session
	amr := strings.TrimSpace(sess.AMR + " " + sess.ChallengeMechanism)
	passed := false
	err := s.InTx(ctx, func(tx *Store) error {
		res := tx.conn(ctx).Model(&MFASession{}).
			Where("id = ? AND status = ? AND passed = ?", sess.ID, MFAActive, sess.Passed).
			Updates(map[string]any{
				"passed":              gorm.Expr("passed + 1"),
				"failures":            gorm.Expr("failures - 1"),
				"amr":                 amr,
				"challenge_mechanism": presetMechanism(st.User, st.Challenges, st.Step+1),
			})
		if res.Error != nil || res.RowsAffected != 1 {
			return res.Error
		}
		if code != nil {
			res := tx.conn(ctx).Model(&MFASessionCode{}).
				Where("session_id = ? AND step = ? AND mechanism = ? AND destination_hash = ? AND code_hash = ? AND code_hash <> ''",
					code.SessionID, code.Step, code.Mechanism, code.DestinationHash, code.CodeHash).
				Updates(map[string]any{"code_hash": "", "expires_at": nil})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				// Another request used the code first: roll back the pass.
				return errCodeUsed
			}
		}
		passed = true
		return tx.recordPass(ctx, st, sess.ChallengeMechanism)
	})
	if errors.Is(err, errCodeUsed) {
		return false, nil
	}
	return passed && err == nil, err
}

// errCodeUsed rolls back a pass whose code another request used first.
var errCodeUsed = errors.New("the code was used by another request")

// recordWrongAnswer stores the failure for the user's lockout count and
// decides whether the session or the user is done. The caller logs the
// rejection, with its request id.
func (s *Store) recordWrongAnswer(ctx context.Context, token string, st *MFAState, sourceIP string) (*MFAState, error) {
	_, locked, err := s.RecordMFAFailure(ctx, st.User, sourceIP)
	if err != nil {
		return st, err
	}
	current, err := s.MFAStateByToken(ctx, token)
	if current == nil {
		return current, err
	}

	switch {
	case locked:
		if err := s.failMFASession(ctx, current.Session.ID); err != nil {
			return current, err
		}
		return current, ErrUserLocked
	case current.Session.Failures >= s.Settings.MFAMaxSessionFailures:
		if err := s.failMFASession(ctx, current.Session.ID); err != nil {
			return current, err
		}
		return current, ErrMFAFailed
	case err != nil:
		return current, err
	}
	return current, ErrMFAWrongAnswer
}

// RecordMFAFailure stores one wrong MFA answer of the user and locks the
// user for Settings.MFALockoutDuration when the answers within
// Settings.MFALockoutWindow reach Settings.MFAMaxUserFailures. It returns
// the current count and whether the user is now locked. The count lives in
// the database, so every instance and every session shares it.
func (s *Store) RecordMFAFailure(ctx context.Context, user *User, sourceIP string) (int64, bool, error) {
	now := s.Now()
	var count int64
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.conn(ctx).Create(&MFAFailure{UserID: user.ID, SourceIP: sourceIP, At: now}).Error; err != nil {
			return err
		}
		// The UPDATE always matches the user's row, so on PostgreSQL it
		// locks the row until commit and concurrent wrong answers count
		// one after another. The CASE keeps the latest time when
		// transactions commit out of order.
		err := tx.conn(ctx).Model(&User{}).Where("id = ?", user.ID).
			Update("last_mfa_failure_at", gorm.Expr(
				"CASE WHEN last_mfa_failure_at IS NULL OR last_mfa_failure_at < ? THEN ? ELSE last_mfa_failure_at END", now, now)).Error
		if err != nil {
			return err
		}
		count, err = tx.countUserFailures(ctx, user.ID)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	if count < int64(s.Settings.MFAMaxUserFailures) {
		return count, false, nil
	}
	until := now.Add(s.Settings.MFALockoutDuration)
	if err := s.conn(ctx).Model(&User{}).Where("id = ?", user.ID).Update("locked_until", until).Error; err != nil {
		return count, false, err
	}
	s.Log.WarnContext(ctx, "user locked out after too many wrong MFA answers",
		"user_id", user.ID, "user_failures", count, "locked_until", until)
	return count, true, nil
}

// countUserFailures counts the user's wrong answers within the lockout
// window. Answers given before the end of an earlier lockout do not count
// again, so an expired lockout is not renewed by old failures.
func (s *Store) countUserFailures(ctx context.Context, userID string) (int64, error) {
	var user User
	if err := s.conn(ctx).Select("locked_until", "last_mfa_failure_at").Where("id = ?", userID).Take(&user).Error; err != nil {
		return 0, mapError(err)
	}
	return s.countFailuresSince(ctx, userID, user.LockedUntil, user.LastMFAFailureAt)
}

// countFailuresSince is countUserFailures with the user's locked_until
// and last_mfa_failure_at as the caller read them. A user whose latest
// wrong answer is older than the window has none to count, which spares
// the query for nearly every user.
func (s *Store) countFailuresSince(ctx context.Context, userID string, lockedUntil, lastFailure *time.Time) (int64, error) {
	since := s.Now().Add(-s.Settings.MFALockoutWindow)
	if lockedUntil != nil && lockedUntil.After(since) {
		since = *lockedUntil
	}
	if lastFailure == nil || !lastFailure.After(since) {
		return 0, nil
	}
	var count int64
	err := s.conn(ctx).Model(&MFAFailure{}).Where("user_id = ? AND at > ?", userID, since).Count(&count).Error
	return count, err
}

// failMFASession marks the session failed, after which it accepts nothing.
func (s *Store) failMFASession(ctx context.Context, id string) error {
	return s.conn(ctx).Model(&MFASession{}).
		Where("id = ? AND status = ?", id, MFAActive).
		Updates(map[string]any{"status": MFAFailed, "finished_at": s.Now()}).Error
}

// FailMFASession marks the session of the token failed, for example when
// the user gives up.
func (s *Store) FailMFASession(ctx context.Context, token string) error {
	return s.failMFASession(ctx, HashToken(token))
}

// FinishMFASession marks a session whose challenges have all passed as
// launched and returns its state. It succeeds once per session, so an app
// is launched at most once per icbt token. It returns ErrMFAStale when a
// challenge is still open and ErrMFAFinished when the session was already
// launched.
func (s *Store) FinishMFASession(ctx context.Context, token string) (*MFAState, error) {
	st, err := s.MFAStateByToken(ctx, token)
	if err != nil {
		return st, err
	}
	if !st.Done() {
		return st, ErrMFAStale
	}
	now := s.Now()
	res := s.conn(ctx).Model(&MFASession{}).
		Where("id = ? AND status = ? AND passed = ?", st.Session.ID, MFAActive, st.Session.Passed).
		Updates(map[string]any{"status": MFALaunched, "finished_at": now})
	if res.Error != nil {
		return st, res.Error
	}
	if res.RowsAffected == 0 {
		return st, ErrMFAFinished
	}
	st.Session.Status = MFALaunched
	st.Session.FinishedAt = &now
	return st, nil
}

// AMRValues returns the authentication method references of the
// mechanisms passed in the session. They are the RFC 8176 values pwd, otp
// (TOTP), sms and kba (security question), plus "email" for an email code,
// for which RFC 8176 registers no value. Two or more add "mfa".
func (sess *MFASession) AMRValues() []string {
	names := map[string]string{
		MechPassword:         "pwd",
		MechOATH:             "otp",
		MechEmail:            "email",
		MechSMS:              "sms",
		MechSecurityQuestion: "kba",
	}
	var out []string
	for _, m := range strings.Fields(sess.AMR) {
		if v, ok := names[m]; ok && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) >= 2 {
		out = append(out, "mfa")
	}
	return out
}
