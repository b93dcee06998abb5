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
	UserID    string `json:"user_id"`
	Passed    int    `json:"passed"`
	Mechanism string `json:"mechanism"`
	// Codes are the email and SMS codes sent in this sign-in, one per
	// challenge, mechanism and destination, like the rows of
	// MFASessionCode for /run.
	Codes []PortalCode `json:"codes"`
	// CodeSends counts every code sent in this sign-in, for
	// MFAMaxSessionCodeSends.
	CodeSends int      `json:"code_sends"`
	Failures  int      `json:"failures"`
	AMR       []string `json:"amr"`
	// Nonce binds codes to this sign-in.
	Nonce string `json:"nonce"`
	// StartedAt is when the password step passed, in Unix seconds.
	StartedAt int64 `json:"started_at"`
}

// PortalCode is a code sent in a portal sign-in to one destination for
// one challenge. Times are Unix seconds.
type PortalCode struct {
	Step            int    `json:"step"`
	Mechanism       string `json:"mechanism"`
	DestinationHash string `json:"destination_hash"`
	Hash            string `json:"hash"`
	ExpiresAt       int64  `json:"expires_at"`
	SentAt          int64  `json:"sent_at"`
	Sends           int    `json:"sends"`
}

// currentCode returns the code entry of the current challenge and chosen
// mechanism at the user's current destination, adding an empty one when
// create is true. It returns nil for a mechanism without codes.
func (st *PortalMFA) currentCode(u *User, create bool) *PortalCode {
	destination := codeDestination(u, st.Mechanism)
	if destination == "" {
		return nil
	}
	hash := HashToken(destination)
	for i := range st.Codes {
		c := &st.Codes[i]
		if c.Step == st.Passed && c.Mechanism == st.Mechanism && c.DestinationHash == hash {
			return c
		}
	}
	if !create {
		return nil
	}
	st.Codes = append(st.Codes, PortalCode{Step: st.Passed, Mechanism: st.Mechanism, DestinationHash: hash})
	return &st.Codes[len(st.Codes)-1]
}

// CodeSent reports whether a code that can still pass the current
// challenge was sent for the chosen mechanism to its current destination.
func (st *PortalMFA) CodeSent(u *User, now time.Time) bool {
	c := st.currentCode(u, false)
	return c != nil && c.Hash != "" && now.Before(time.Unix(c.ExpiresAt, 0))
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
	st.Mechanism = mechanism
	return nil
}

// IssuePortalCode creates a code for the chosen email or SMS mechanism,
// with the limits of IssueMFACode: an interval and a count per challenge,
// mechanism and destination, and a count for the whole sign-in. Codes of
// other mechanisms stay valid.
func (s *Store) IssuePortalCode(u *User, st *PortalMFA) (*MFACode, error) {
	destination := codeDestination(u, st.Mechanism)
	if destination == "" {
		return nil, ErrMFAStale
	}
	now := s.Now()
	entry := st.currentCode(u, true)
	if st.CodeSends >= MFAMaxSessionCodeSends || entry.Sends >= MFAMaxCodeSends {
		return nil, ErrCodeSendLimit
	}
	if entry.SentAt != 0 && now.Before(time.Unix(entry.SentAt, 0).Add(MFACodeResendInterval)) {
		return nil, ErrCodeResendTooSoon
	}
	code, err := NewMFACode()
	if err != nil {
		return nil, err
	}
	entry.Hash = s.HashMFACode(st.codeBinding(), code)
	entry.ExpiresAt = now.Add(MFACodeTTL).Unix()
	entry.SentAt = now.Unix()
	entry.Sends++
	st.CodeSends++
	return &MFACode{Code: code, Mechanism: st.Mechanism, Destination: destination}, nil
}

// WithdrawPortalCode invalidates a code that IssuePortalCode returned but
// that could not be delivered, so the page does not ask for it and a new
// one can be sent at once. The code still counts towards the limits.
func (s *Store) WithdrawPortalCode(u *User, st *PortalMFA, code *MFACode) {
	entry := st.currentCode(u, false)
	if entry != nil && s.MatchMFACode(entry.Hash, st.codeBinding(), code.Code) {
		entry.Hash, entry.ExpiresAt, entry.SentAt = "", 0, 0
	}
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

	check := codeCheck{binding: st.codeBinding()}
	entry := st.currentCode(u, false)
	if entry != nil && entry.Hash != "" {
		expires := time.Unix(entry.ExpiresAt, 0)
		check.hash, check.expiresAt = entry.Hash, &expires
	}
	ok, err := s.verifyMechanism(ctx, u, st.Mechanism, in.Answer, check)
	if err != nil {
		return err
	}
	if ok {
		if entry != nil {
			entry.Hash, entry.ExpiresAt = "", 0
		}
		st.AMR = append(st.AMR, st.Mechanism)
		st.Passed++
		st.Mechanism = ""
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
