package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
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

// MaxContactCodeTries is the number of wrong confirmation codes after
// which a pending email address or mobile number is dropped.
const MaxContactCodeTries = 5

// PendingContact is an email address or mobile number that a user entered
// in the user portal and has not confirmed yet. The portal keeps it in its
// server-side session; it holds only the MAC of the code.
type PendingContact struct {
	Value     string `json:"value"`
	CodeHash  string `json:"code_hash"`
	ExpiresAt int64  `json:"expires_at"`
	SentAt    int64  `json:"sent_at"`
	Sends     int    `json:"sends"`
	Tries     int    `json:"tries"`
}

func (p *PendingContact) binding(userID string) string {
	return "contact:" + userID + ":" + p.Value
}

// IssueContactCode creates a confirmation code for the pending value, with
// the resend interval and send limit of MFA codes. The caller delivers it.
func (s *Store) IssueContactCode(userID string, p *PendingContact) (string, error) {
	now := s.Now()
	if p.Sends >= MFAMaxCodeSends {
		return "", ErrCodeSendLimit
	}
	if p.SentAt != 0 && now.Before(time.Unix(p.SentAt, 0).Add(MFACodeResendInterval)) {
		return "", ErrCodeResendTooSoon
	}
	code, err := NewMFACode()
	if err != nil {
		return "", err
	}
	p.CodeHash = s.HashMFACode(p.binding(userID), code)
	p.ExpiresAt = now.Add(MFACodeTTL).Unix()
	p.SentAt = now.Unix()
	p.Sends++
	return code, nil
}

// ConfirmContactCode checks the confirmation code of a pending value. It
// returns ErrWrongCode for a wrong or expired code, and ErrMFAFailed once
// MaxContactCodeTries codes were wrong, after which the caller drops the
// pending value.
func (s *Store) ConfirmContactCode(userID string, p *PendingContact, code string) error {
	if p.Tries >= MaxContactCodeTries {
		return ErrMFAFailed
	}
	expired := p.ExpiresAt == 0 || !s.Now().Before(time.Unix(p.ExpiresAt, 0))
	if !expired && s.MatchMFACode(p.CodeHash, p.binding(userID), code) {
		p.CodeHash = ""
		return nil
	}
	p.Tries++
	if p.Tries >= MaxContactCodeTries {
		return ErrMFAFailed
	}
	return ErrWrongCode
}

// TOTPIssuer is the issuer name authenticator apps show next to the
// account.
const TOTPIssuer = "Portcullis"

// TOTPKeyURI returns the otpauth:// URI of a TOTP secret, in the Key URI
// format that authenticator apps read from QR codes: SHA1, 6 digits,
// 30-second period.
func TOTPKeyURI(account, secret string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", TOTPIssuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	label := url.PathEscape(TOTPIssuer) + ":" + url.PathEscape(account)
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// TOTPQRCodePNG returns a PNG of the QR code of a Key URI, size pixels
// square.
func TOTPQRCodePNG(uri string, size int) ([]byte, error) {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, fmt.Errorf("parse TOTP key URI: %w", err)
	}
	img, err := key.Image(size, size)
	if err != nil {
		return nil, fmt.Errorf("draw TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
