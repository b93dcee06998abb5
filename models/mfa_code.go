package models

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// purposeMFACode is the keyring purpose of the MAC that stores email and
// SMS codes. A plain SHA-256 of a 6-digit code could be reversed by trying
// all 10^6 codes, so the stored value is keyed with the server secret.
const purposeMFACode = "mfa-code"

// HashMFACode returns the value stored for a one-time code: the hex
// HMAC-SHA256 of binding and code under the server's secret key. binding
// ties the code to one use, such as an MFA session and mechanism, so a
// code issued for one purpose never matches another.
func (s *Store) HashMFACode(binding, code string) string {
	return hex.EncodeToString(s.Keys.MAC(purposeMFACode, []byte(binding+"\x00"+code)))
}

// MatchMFACode reports whether code is the one whose HashMFACode is hash.
// The code must be exactly MFACodeDigits ASCII digits; nothing is trimmed
// or converted. The comparison takes constant time.
func (s *Store) MatchMFACode(hash, binding, code string) bool {
	if hash == "" || !isASCIIDigits(code, MFACodeDigits) {
		return false
	}
	want, err := hex.DecodeString(hash)
	if err != nil {
		return false
	}
	return hmac.Equal(want, s.Keys.MAC(purposeMFACode, []byte(binding+"\x00"+code)))
}

// NewMFACode returns a fresh random code of MFACodeDigits digits.
func NewMFACode() (string, error) { return GenerateNumericCode(MFACodeDigits) }

// MFASessionCode is an email or SMS code sent in an MFA session of /run,
// one row per challenge, mechanism and destination. Each row keeps its own
// resend interval and send count.
type MFASessionCode struct {
	SessionID string `gorm:"primaryKey"`
	Step      int    `gorm:"primaryKey"`
	Mechanism string `gorm:"primaryKey"`
	// DestinationHash is the SHA-256 of the address or number, so a
	// changed address gets a row of its own without storing it again.
	DestinationHash string `gorm:"primaryKey"`
	CodeHash        string
	ExpiresAt       *time.Time
	SentAt          *time.Time
	Sends           int
}

// TableName returns the table of MFASessionCode.
func (MFASessionCode) TableName() string { return "mfa_session_codes" }

// codeDestination returns the address or number that a code of the
// mechanism goes to, or "" for a mechanism without codes.
func codeDestination(u *User, mechanism string) string {
	switch mechanism {
	case MechEmail:
		return u.Email
	case MechSMS:
		return u.MobileNumber
	}
	return ""
}

// sessionCodeKey returns the primary key of the code row for the current
// challenge and chosen mechanism of st.
func sessionCodeKey(st *MFAState) MFASessionCode {
	mech := st.Session.ChallengeMechanism
	return MFASessionCode{
		SessionID:       st.Session.ID,
		Step:            st.Step,
		Mechanism:       mech,
		DestinationHash: HashToken(codeDestination(st.User, mech)),
	}
}

// sessionCode returns the code row of the key, or nil when no code was
// sent for it.
func (s *Store) sessionCode(ctx context.Context, key MFASessionCode) (*MFASessionCode, error) {
	var row MFASessionCode
	err := s.conn(ctx).Where("session_id = ? AND step = ? AND mechanism = ? AND destination_hash = ?",
		key.SessionID, key.Step, key.Mechanism, key.DestinationHash).Take(&row).Error
	if errors.Is(mapError(err), ErrNotFound) {
		return nil, nil
	}
	return &row, err
}

// errSessionCapReached and errDestinationRefused tell IssueMFACode which
// of its two limits rejected a code.
var (
	errSessionCapReached  = errors.New("the MFA session rejected another code")
	errDestinationRefused = errors.New("the destination rejected another code")
)

// IssueMFACode creates a new code for the chosen email or SMS mechanism
// and replaces any earlier code of that mechanism and destination in the
// current challenge. Codes of other mechanisms stay valid.
//
// It returns ErrCodeResendTooSoon within MFACodeResendInterval of the last
// code to the same destination for the same challenge, ErrCodeSendLimit
// after MFAMaxCodeSends codes to it or MFAMaxSessionCodeSends codes in the
// session, and ErrMFAStale when no code mechanism is chosen. The limits
// are checked in the UPDATEs of one transaction, so they hold across
// instances. The caller delivers the code, and calls WithdrawMFACode when
// delivery fails.
func (s *Store) IssueMFACode(ctx context.Context, token string) (*MFACode, *MFAState, error) {
	st, err := s.MFAStateByToken(ctx, token)
	if err != nil {
		return nil, st, err
	}
	mech := st.Session.ChallengeMechanism
	destination := codeDestination(st.User, mech)
	if destination == "" {
		return nil, st, ErrMFAStale
	}

	code, err := NewMFACode()
	if err != nil {
		return nil, st, err
	}
	now := s.Now()
	expires := now.Add(MFACodeTTL)
	key := sessionCodeKey(st)
	err = s.InTx(ctx, func(tx *Store) error {
		res := tx.conn(ctx).Model(&MFASession{}).
			Where("id = ? AND status = ? AND passed = ? AND challenge_mechanism = ? AND code_sends < ?",
				st.Session.ID, MFAActive, st.Step, mech, MFAMaxSessionCodeSends).
			Update("code_sends", gorm.Expr("code_sends + 1"))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errSessionCapReached
		}

		row := key
		if err := tx.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		res = tx.conn(ctx).Model(&MFASessionCode{}).
			Where("session_id = ? AND step = ? AND mechanism = ? AND destination_hash = ? AND sends < ? AND (sent_at IS NULL OR sent_at <= ?)",
				key.SessionID, key.Step, key.Mechanism, key.DestinationHash, MFAMaxCodeSends, now.Add(-MFACodeResendInterval)).
			Updates(map[string]any{
				"code_hash":  s.HashMFACode(codeBinding(st.Session, mech), code),
				"expires_at": expires,
				"sent_at":    now,
				"sends":      gorm.Expr("sends + 1"),
			})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errDestinationRefused
		}
		return nil
	})

	switch {
	case errors.Is(err, errSessionCapReached):
		current, err := s.MFAStateByToken(ctx, token)
		if err != nil {
			return nil, current, err
		}
		if current.Session.ChallengeMechanism != mech || current.Step != st.Step {
			return nil, current, ErrMFAStale
		}
		return nil, current, ErrCodeSendLimit
	case errors.Is(err, errDestinationRefused):
		row, err := s.sessionCode(ctx, key)
		if err != nil {
			return nil, st, err
		}
		if row != nil && row.Sends >= MFAMaxCodeSends {
			return nil, st, ErrCodeSendLimit
		}
		return nil, st, ErrCodeResendTooSoon
	case err != nil:
		return nil, st, err
	}
	st.Session.CodeSends++
	return &MFACode{Code: code, Mechanism: mech, Destination: destination}, st, nil
}

// WithdrawMFACode invalidates a code that IssueMFACode returned but that
// could not be delivered, so the page does not ask for it and a new one
// can be sent at once. The code still counts towards the send limits.
func (s *Store) WithdrawMFACode(ctx context.Context, st *MFAState, code *MFACode) error {
	key := sessionCodeKey(st)
	return s.conn(ctx).Model(&MFASessionCode{}).
		Where("session_id = ? AND step = ? AND mechanism = ? AND destination_hash = ? AND code_hash = ?",
			key.SessionID, key.Step, key.Mechanism, key.DestinationHash, s.HashMFACode(codeBinding(st.Session, code.Mechanism), code.Code)).
		Updates(map[string]any{"code_hash": "", "expires_at": nil, "sent_at": nil}).Error
}

// MFACodeSent reports whether a code that can still pass the current
// challenge was sent for the chosen mechanism to its current destination.
func (s *Store) MFACodeSent(ctx context.Context, st *MFAState) (bool, error) {
	if codeDestination(st.User, st.Session.ChallengeMechanism) == "" {
		return false, nil
	}
	row, err := s.sessionCode(ctx, sessionCodeKey(st))
	if err != nil || row == nil {
		return false, err
	}
	return row.CodeHash != "" && row.ExpiresAt != nil && s.Now().Before(*row.ExpiresAt), nil
}
