package models

import (
	"crypto/hmac"
	"encoding/hex"
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
