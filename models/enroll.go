package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// ErrWrongCode is returned when a confirmation code or answer given while
// enrolling a factor does not match.
var ErrWrongCode = errors.New("the code is not correct")

// EnrolledMechanisms returns the mechanisms the user can answer, in the
// order of AllMechanisms. An email address or mobile number counts only
// once it was confirmed with a code.
func EnrolledMechanisms(u *User) []string {
	var out []string
	for _, m := range AllMechanisms {
		if IsEnrolled(u, m) {
			out = append(out, m)
		}
	}
	return out
}

// IsEnrolled reports whether the user can answer the mechanism.
func IsEnrolled(u *User, mechanism string) bool {
	switch mechanism {
	case MechPassword:
		return u.PasswordHash != ""
	case MechOATH:
		return u.HasTOTP()
	case MechEmail:
		return u.EmailVerified && u.Email != ""
	case MechSMS:
		return u.MobileVerified && u.MobileNumber != ""
	case MechSecurityQuestion:
		return u.SecurityAnswerHash != ""
	}
	return false
}

// TOTPSecret returns the user's TOTP secret in base32, unsealed with the
// server's secret key.
func (s *Store) TOTPSecret(u *User) (string, error) {
	if !u.HasTOTP() {
		return "", ErrNotFound
	}
	plain, err := s.Keys.Open(PurposeTOTPSecret, u.TOTPSecretEnc)
	if err != nil {
		return "", err
	}
	return string(plain), nil
}

// VerifyUserTOTP checks a TOTP code of the user and, when it matches,
// records its time step with a compare-and-set on users.totp_last_step.
// Of two concurrent calls with the same code, exactly one returns true,
// and a step that has been accepted once is never accepted again
// (RFC 6238 §5.2).
func (s *Store) VerifyUserTOTP(ctx context.Context, u *User, code string) (bool, error) {
	secret, err := s.TOTPSecret(u)
	if err != nil {
		return false, err
	}
	step, ok := VerifyTOTP(secret, code, s.Now(), u.TOTPLastStep)
	if !ok {
		return false, nil
	}
	res := s.conn(ctx).Model(&User{}).
		Where("id = ? AND totp_last_step < ?", u.ID, step).
		Update("totp_last_step", step)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// EnrollTOTP stores a new TOTP secret for the user after checking that the
// user's authenticator produces code for it. The secret is sealed with the
// server's secret key, and the confirming code's step is recorded so that
// the same code cannot also answer a challenge. It returns ErrWrongCode
// when the code does not match.
func (s *Store) EnrollTOTP(ctx context.Context, userID, secret, code string) error {
	step, ok := VerifyTOTP(secret, code, s.Now(), 0)
	if !ok {
		return ErrWrongCode
	}
	normalized, err := normalizeTOTPSecret(secret)
	if err != nil {
		return err
	}
	sealed, err := s.Keys.Seal(PurposeTOTPSecret, []byte(normalized))
	if err != nil {
		return fmt.Errorf("seal TOTP secret: %w", err)
	}
	now := s.Now()
	return s.updateFactor(ctx, userID, map[string]any{
		"totp_secret_enc":  sealed,
		"totp_last_step":   step,
		"totp_enrolled_at": now,
	})
}

// RemoveTOTP removes the user's OATH OTP authenticator.
func (s *Store) RemoveTOTP(ctx context.Context, userID string) error {
	return s.updateFactor(ctx, userID, map[string]any{
		"totp_secret_enc":  nil,
		"totp_last_step":   0,
		"totp_enrolled_at": nil,
	})
}

// Limits of the factor fields a user enters in the user portal.
const (
	maxFactorEmailBytes      = 254
	maxSecurityQuestionChars = 200
	maxSecurityAnswerChars   = 200
	minSecurityAnswerChars   = 3
)

// factorMobilePattern accepts a phone number as people type it: an
// optional +, then 6 to 20 digits with single spaces or hyphens between.
var factorMobilePattern = regexp.MustCompile(`^\+?[0-9]([ -]?[0-9]){5,19}$`)

// ValidateFactorEmail checks an email address a user wants to enroll and
// returns it trimmed.
func ValidateFactorEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", errors.New("email address is required")
	}
	if len(email) > maxFactorEmailBytes {
		return "", fmt.Errorf("email address is longer than %d bytes", maxFactorEmailBytes)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", errors.New("email address is invalid; use the form name@example.com")
	}
	return email, nil
}

// ValidateFactorMobile checks a mobile number a user wants to enroll and
// returns it trimmed.
func ValidateFactorMobile(mobile string) (string, error) {
	mobile = strings.TrimSpace(mobile)
	if mobile == "" {
		return "", errors.New("mobile number is required")
	}
	if !factorMobilePattern.MatchString(mobile) {
		return "", errors.New("mobile number is invalid; use digits with an optional leading + and spaces or hyphens, such as +1 555 0100")
	}
	return mobile, nil
}

// SetVerifiedEmail stores an email address the user has confirmed with a
// code, and makes it usable for email codes.
func (s *Store) SetVerifiedEmail(ctx context.Context, userID, email string) error {
	email, err := ValidateFactorEmail(email)
	if err != nil {
		return err
	}
	return s.updateFactor(ctx, userID, map[string]any{"email": email, "email_verified": true})
}

// RemoveEmailFactor stops email codes for the user. The address stays on
// the user's profile.
func (s *Store) RemoveEmailFactor(ctx context.Context, userID string) error {
	return s.updateFactor(ctx, userID, map[string]any{"email_verified": false})
}

// SetVerifiedMobile stores a mobile number the user has confirmed with a
// code, and makes it usable for SMS codes.
func (s *Store) SetVerifiedMobile(ctx context.Context, userID, mobile string) error {
	mobile, err := ValidateFactorMobile(mobile)
	if err != nil {
		return err
	}
	return s.updateFactor(ctx, userID, map[string]any{"mobile_number": mobile, "mobile_verified": true})
}

// RemoveMobileFactor stops SMS codes for the user. The number stays on the
// user's profile.
func (s *Store) RemoveMobileFactor(ctx context.Context, userID string) error {
	return s.updateFactor(ctx, userID, map[string]any{"mobile_verified": false})
}

// NormalizeSecurityAnswer returns the form of an answer that is hashed and
// compared: Unicode NFC, surrounding white space trimmed, inner runs of
// white space reduced to one space, and case-folded, so "  Rex " and "rex"
// match.
func NormalizeSecurityAnswer(answer string) string {
	collapsed := strings.Join(strings.Fields(norm.NFC.String(answer)), " ")
	return cases.Fold().String(collapsed)
}

// SetSecurityQuestion validates and stores the user's security question
// and the hash of its normalised answer. It returns ValidationErrors with
// the fields "question" and "answer".
func (s *Store) SetSecurityQuestion(ctx context.Context, userID, question, answer string) error {
	question = strings.TrimSpace(question)
	normalized := NormalizeSecurityAnswer(answer)

	var verrs ValidationErrors
	if question == "" {
		verrs.Add("question", "question is required")
	} else if utf8.RuneCountInString(question) > maxSecurityQuestionChars {
		verrs.Add("question", fmt.Sprintf("question is longer than %d characters", maxSecurityQuestionChars))
	}
	if n := utf8.RuneCountInString(normalized); n < minSecurityAnswerChars {
		verrs.Add("answer", fmt.Sprintf("answer must have at least %d characters", minSecurityAnswerChars))
	} else if n > maxSecurityAnswerChars {
		verrs.Add("answer", fmt.Sprintf("answer is longer than %d characters", maxSecurityAnswerChars))
	}
	if err := verrs.Err(); err != nil {
		return err
	}

	hash, err := s.Hasher.Hash(normalized)
	if err != nil {
		return fmt.Errorf("hash security answer: %w", err)
	}
	return s.updateFactor(ctx, userID, map[string]any{
		"security_question":    question,
		"security_answer_hash": hash,
	})
}

// RemoveSecurityQuestion removes the user's security question.
func (s *Store) RemoveSecurityQuestion(ctx context.Context, userID string) error {
	return s.updateFactor(ctx, userID, map[string]any{
		"security_question":    "",
		"security_answer_hash": "",
	})
}

// VerifySecurityAnswer reports whether answer matches the user's security
// answer after NormalizeSecurityAnswer.
func (s *Store) VerifySecurityAnswer(u *User, answer string) bool {
	if u.SecurityAnswerHash == "" {
		return false
	}
	ok, err := s.Hasher.Verify(u.SecurityAnswerHash, NormalizeSecurityAnswer(answer))
	return err == nil && ok
}

// VerifyUserPassword reports whether password is the user's password.
// Users without a password never match.
func (s *Store) VerifyUserPassword(u *User, password string) bool {
	if u.PasswordHash == "" {
		return false
	}
	ok, err := s.Hasher.Verify(u.PasswordHash, password)
	return err == nil && ok
}

// factorColumns lists the columns updateFactor may write, so a caller
// cannot change anything but MFA enrollments through it.
var factorColumns = []string{
	"totp_secret_enc", "totp_last_step", "totp_enrolled_at",
	"email", "email_verified", "mobile_number", "mobile_verified",
	"security_question", "security_answer_hash",
}

// updateFactor writes enrollment columns with a map, so false and empty
// values are saved, and reports ErrNotFound when no user matched.
func (s *Store) updateFactor(ctx context.Context, userID string, changes map[string]any) error {
	for column := range changes {
		if !slices.Contains(factorColumns, column) {
			return fmt.Errorf("column %s is not an enrollment column", column)
		}
	}
	if _, err := s.UserByID(ctx, userID); err != nil {
		return err
	}
	changes["updated_at"] = s.Now()
	res := s.conn(ctx).Model(&User{}).Where("id = ?", userID).Updates(changes)
	if res.Error != nil {
		return mapError(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
