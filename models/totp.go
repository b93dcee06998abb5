package models

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP settings of RFC 6238 as used by common authenticator apps.
const (
	totpPeriodSeconds = 30
	totpDigits        = 6
	// totpSecretBytes is 160 bits, the secret length that RFC 4226 §4
	// recommends.
	totpSecretBytes = 20
	// minTOTPSecretBytes accepts the 80-bit secrets that many authenticator
	// enrolments use. RFC 4226 §4 requires at least 128 bits, so new
	// secrets from GenerateTOTPSecret are longer.
	minTOTPSecretBytes = 10
	// maxNumericCodeDigits keeps 10^digits within an int64.
	maxNumericCodeDigits = 18
)

var totpSecretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

var totpOptions = totp.ValidateOpts{
	Period:    totpPeriodSeconds,
	Digits:    otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1,
}

// GenerateTOTPSecret returns a new random 160-bit TOTP secret as unpadded
// base32 (32 characters).
func GenerateTOTPSecret() (string, error) {
	secret := make([]byte, totpSecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("generate TOTP secret: %w", err)
	}
	return totpSecretEncoding.EncodeToString(secret), nil
}

// TOTPCode returns the 6-digit RFC 6238 code (HMAC-SHA-1, 30-second steps)
// for secret at time t. The secret is base32, with or without padding, in
// either case, and must decode to at least 80 bits.
func TOTPCode(secret string, t time.Time) (string, error) {
	normalized, err := normalizeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	if t.Unix() < 0 {
		return "", fmt.Errorf("TOTP time %s is before the Unix epoch", t.UTC().Format(time.RFC3339))
	}
	return totp.GenerateCodeCustom(normalized, t, totpOptions)
}

// normalizeTOTPSecret trims surrounding spaces, upper-cases the secret and
// removes "=" padding, then checks that it decodes to at least 80 bits.
// pquerna/otp v1.5.0 re-adds the padding it needs.
func normalizeTOTPSecret(secret string) (string, error) {
	normalized := strings.TrimRight(strings.ToUpper(strings.TrimSpace(secret)), "=")
	key, err := totpSecretEncoding.DecodeString(normalized)
	if err != nil {
		return "", errors.New("TOTP secret is not valid base32")
	}
	if len(key) < minTOTPSecretBytes {
		return "", fmt.Errorf("TOTP secret is %d bits long, the minimum is %d bits", 8*len(key), 8*minTOTPSecretBytes)
	}
	return normalized, nil
}

// totpStepCode returns the code for one 30-second time step.
func totpStepCode(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriodSeconds, 0), totpOptions)
}

// VerifyTOTP checks a 6-digit TOTP code against the time steps before, at
// and after now, which allows 30 seconds of clock drift (RFC 6238 §5.2).
//
// The code must be exactly six ASCII digits. Nothing is trimmed or
// converted, so " 012345", "012 345", "12345" and non-ASCII digits are
// rejected; callers must not strip spaces either.
//
// For replay protection a step is accepted only if it is greater than
// lastUsedStep, which is the step that the last successful call returned
// for this user, or 0 if none did. The caller stores the returned step with
// an atomic compare-and-set on lastUsedStep, so two concurrent requests with
// the same code cannot both succeed.
func VerifyTOTP(secret, code string, now time.Time, lastUsedStep int64) (step int64, ok bool) {
	if !isASCIIDigits(code, totpDigits) {
		return 0, false
	}
	normalized, err := normalizeTOTPSecret(secret)
	if err != nil || now.Unix() < 0 {
		return 0, false
	}

	current := now.Unix() / totpPeriodSeconds
	// All three steps are computed and compared even after a match, so the
	// time taken does not reveal which step matched. If a code happens to be
	// valid for two steps, the later one is returned so that the code cannot
	// be replayed in the later step.
	matched := false
	for candidate := current - 1; candidate <= current+1; candidate++ {
		expected, err := totpStepCode(normalized, candidate)
		if err != nil {
			continue
		}
		equal := subtle.ConstantTimeCompare([]byte(expected), []byte(code))
		if equal == 1 && candidate > lastUsedStep {
			step = candidate
			matched = true
		}
	}
	return step, matched
}

// VerifyNumericCode compares a one-time numeric code, such as one sent by
// e-mail or SMS, in constant time. Both codes must be non-empty strings of
// ASCII digits of the same length. Like VerifyTOTP it trims and converts
// nothing, so " 123456" or fullwidth digits never match.
func VerifyNumericCode(expected, given string) bool {
	if expected == "" || !isASCIIDigits(expected, len(expected)) || !isASCIIDigits(given, len(expected)) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(expected), []byte(given)) == 1
}

// GenerateNumericCode returns a random code of the given number of ASCII
// digits (1 to 18), leading zeros included. crypto/rand.Int samples
// uniformly, so every code is equally likely.
func GenerateNumericCode(digits int) (string, error) {
	if digits < 1 || digits > maxNumericCodeDigits {
		return "", fmt.Errorf("numeric code length must be between 1 and %d digits, got %d", maxNumericCodeDigits, digits)
	}

	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return "", fmt.Errorf("generate numeric code: %w", err)
	}
	return fmt.Sprintf("%0*d", digits, n.Int64()), nil
}

// isASCIIDigits reports whether s is exactly length bytes of '0' to '9'.
// It replaces unicode.IsDigit, which accepts digits of other scripts, and
// strconv.Atoi, which accepts signs and ignores leading zeros.
func isASCIIDigits(s string, length int) bool {
	if len(s) != length {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
