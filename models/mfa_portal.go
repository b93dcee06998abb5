package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"time"
)

// PortalMFA is the progress of a portal sign-in through the challenges of
// the portal's authentication profile. The portal keeps it in its
// server-side session between requests; it holds only the MAC of a code.
//
// NOTE: unlike an MFA session of /run, this state is read and written
// whole per request, so two concurrent answers in one portal session can
// both be checked before either is counted. The per-user count in
// mfa_failures still bounds guessing across requests.
type PortalMFA struct {
	UserID        string   `json:"user_id"`
	Passed        int      `json:"passed"`
	Mechanism     string   `json:"mechanism"`
	CodeHash      string   `json:"code_hash"`
	CodeExpiresAt int64    `json:"code_expires_at"`
	CodeSentAt    int64    `json:"code_sent_at"`
	CodeSends     int      `json:"code_sends"`
	Failures      int      `json:"failures"`
	AMR           []string `json:"amr"`
	// Nonce binds codes to this sign-in.
	Nonce string `json:"nonce"`
	// StartedAt is when the password step passed, in Unix seconds.
	StartedAt int64 `json:"started_at"`
}

// NewPortalMFA starts the challenges of a portal sign-in for the user at
// now.
func NewPortalMFA(userID string, now time.Time) (*PortalMFA, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return &PortalMFA{UserID: userID, Nonce: hex.EncodeToString(nonce), StartedAt: now.Unix()}, nil
}

// Expired reports whether the sign-in has outlived MFASessionTTL at now,
// the time /run allows for the same challenges. A state without StartedAt
// counts as expired.
func (st *PortalMFA) Expired(now time.Time) bool {
	return st.StartedAt == 0 || !now.Before(time.Unix(st.StartedAt, 0).Add(MFASessionTTL))
}

// PortalChallenges returns the challenges of the authentication profile
// that the setting key (SettingUserPortalProfile or
// SettingAdminPortalProfile) names, or none when it names no profile.
func (s *Store) PortalChallenges(ctx context.Context, settingKey string) ([][]string, error) {
	id, err := s.GetSetting(ctx, settingKey)
	if err != nil || id == "" {
		return nil, err
	}
	profile, err := s.AuthProfileByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return profile.Challenges(), nil
}

// ChallengeOptions returns the mechanisms of challenge step that the user
// is enrolled in.
func ChallengeOptions(u *User, challenges [][]string, step int) []string {
	if step < 0 || step >= len(challenges) {
		return nil
	}
	var out []string
	for _, m := range challenges[step] {
		if IsEnrolled(u, m) {
			out = append(out, m)
		}
	}
	return out
}

// ChoosePortalMechanism selects the mechanism for the current challenge,
// or "" to go back to the list. It returns ErrMFAStale for a form of
// another step or a mechanism the user cannot answer.
func ChoosePortalMechanism(u *User, challenges [][]string, st *PortalMFA, step int, mechanism string) error {
	if step != st.Passed || st.Passed >= len(challenges) {
		return ErrMFAStale
	}
	if mechanism != "" && !slices.Contains(ChallengeOptions(u, challenges, st.Passed), mechanism) {
		return ErrMFAStale
	}
	st.Mechanism, st.CodeHash, st.CodeExpiresAt = mechanism, "", 0
	return nil
}

// IssuePortalCode creates a code for the chosen email or SMS mechanism,
// with the same resend interval and send limit as /run.
func (s *Store) IssuePortalCode(u *User, st *PortalMFA) (*MFACode, error) {
	var destination string
	switch st.Mechanism {
	case MechEmail:
		destination = u.Email
	case MechSMS:
		destination = u.MobileNumber
	default:
		return nil, ErrMFAStale
	}
	now := s.Now()
	if st.CodeSends >= MFAMaxCodeSends {
		return nil, ErrCodeSendLimit
	}
	if st.CodeSentAt != 0 && now.Before(time.Unix(st.CodeSentAt, 0).Add(MFACodeResendInterval)) {
		return nil, ErrCodeResendTooSoon
	}
	code, err := NewMFACode()
	if err != nil {
		return nil, err
	}
	st.CodeHash = s.HashMFACode(st.codeBinding(), code)
	st.CodeExpiresAt = now.Add(MFACodeTTL).Unix()
	st.CodeSentAt = now.Unix()
	st.CodeSends++
	return &MFACode{Code: code, Mechanism: st.Mechanism, Destination: destination}, nil
}

func (st *PortalMFA) codeBinding() string {
	return "portal:" + st.Nonce + ":" + st.UserID + ":" + st.Mechanism + ":" + strconv.Itoa(st.Passed)
}

// AnswerPortalChallenge checks an answer to the current portal challenge
// with the rules of AnswerMFAChallenge. Every rejected answer returns
// ErrMFAWrongAnswer. The answer that uses the sign-in's last try returns
// ErrMFAFailed, and the one that reaches the user's limit returns
// ErrUserLocked. A form of another step or mechanism returns ErrMFAStale
// and is not counted.
func (s *Store) AnswerPortalChallenge(ctx context.Context, u *User, challenges [][]string, st *PortalMFA, in MFAAnswer) error {
	if err := s.checkUserMayAnswer(u); err != nil {
		return err
	}
	if st.Failures >= s.Settings.MFAMaxSessionFailures {
		return ErrMFAFailed
	}
	if in.Step != st.Passed || st.Passed >= len(challenges) || st.Mechanism == "" || in.Mechanism != st.Mechanism ||
		!slices.Contains(ChallengeOptions(u, challenges, st.Passed), st.Mechanism) {
		return ErrMFAStale
	}

	var expires *time.Time
	if st.CodeExpiresAt != 0 {
		t := time.Unix(st.CodeExpiresAt, 0)
		expires = &t
	}
	ok, err := s.verifyMechanism(ctx, u, st.Mechanism, in.Answer, codeCheck{hash: st.CodeHash, binding: st.codeBinding(), expiresAt: expires})
	if err != nil {
		return err
	}
	if ok {
		st.AMR = append(st.AMR, st.Mechanism)
		st.Passed++
		st.Mechanism, st.CodeHash, st.CodeExpiresAt, st.CodeSentAt, st.CodeSends = "", "", 0, 0, 0
		return nil
	}

	st.Failures++
	_, locked, err := s.RecordMFAFailure(ctx, u, in.SourceIP)
	switch {
	case err != nil:
		return err
	case locked:
		return ErrUserLocked
	case st.Failures >= s.Settings.MFAMaxSessionFailures:
		return ErrMFAFailed
	}
	return ErrMFAWrongAnswer
}

// VerifyFactor checks an answer with one of the user's factors that needs
// no code sent first (password, TOTP or security question), for a fresh
// challenge before a sensitive change. A wrong answer counts towards the
// user's lockout like a wrong MFA answer, and returns ErrMFAWrongAnswer or
// ErrUserLocked.
func (s *Store) VerifyFactor(ctx context.Context, u *User, mechanism, answer, sourceIP string) error {
	if err := s.checkUserMayAnswer(u); err != nil {
		return err
	}
	if !IsEnrolled(u, mechanism) || (mechanism != MechPassword && mechanism != MechOATH && mechanism != MechSecurityQuestion) {
		return ErrMFAStale
	}
	ok, err := s.verifyMechanism(ctx, u, mechanism, answer, codeCheck{})
	if err != nil || ok {
		return err
	}
	_, locked, err := s.RecordMFAFailure(ctx, u, sourceIP)
	switch {
	case err != nil:
		return err
	case locked:
		return ErrUserLocked
	}
	return ErrMFAWrongAnswer
}
