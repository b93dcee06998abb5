package models

import (
	"encoding/base64"
	"net/url"
	"strings"
	"unicode/utf8"
)

// ParseClientBasicAuth parses an "Authorization: Basic ..." header value
// that carries OAuth client credentials. The scheme name is matched
// case-insensitively and missing base64 padding is tolerated. The decoded
// text is split at the first colon only, so the secret may contain colons.
//
// It returns two interpretations of the credentials:
//   - id and secret are form-urldecoded, as RFC 6749 §2.3.1 requires. Both
//     are empty if either fails to decode or is not valid UTF-8.
//   - rawID and rawSecret are the text as sent, for clients that do not
//     form-encode. Both are empty if the text is not valid UTF-8, the only
//     charset that RFC 7617 §2.1 defines for Basic.
//
// Callers try id and secret first and rawID and rawSecret second, and never
// accept an empty id. The two differ for raw secrets that contain "+",
// which form-decoding turns into a space. ok is false if the header is not
// Basic, the base64 is invalid, there is no colon, the id is empty, or
// neither interpretation is valid UTF-8 without NUL characters.
func ParseClientBasicAuth(header string) (id, secret string, rawID, rawSecret string, ok bool) {
	scheme, credentials, found := strings.Cut(strings.TrimSpace(header), " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", "", "", false
	}

	decoded, valid := decodeBase64Tolerant(strings.TrimSpace(credentials))
	if !valid {
		return "", "", "", "", false
	}

	text := string(decoded)
	rawID, rawSecret, found = strings.Cut(text, ":")
	if !found || rawID == "" {
		return "", "", "", "", false
	}

	id, secret = formDecodePair(rawID, rawSecret)
	if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
		rawID, rawSecret = "", ""
	}
	if id == "" && rawID == "" {
		return "", "", "", "", false
	}
	return id, secret, rawID, rawSecret, true
}

// decodeBase64Tolerant decodes standard base64 whose "=" padding may be
// missing, as some clients send it.
func decodeBase64Tolerant(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	if n := len(s) % 4; n != 0 {
		s += strings.Repeat("=", 4-n)
	}
	decoded, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return decoded, true
}

// formDecodePair form-urldecodes both values, or returns two empty strings
// if either fails or is not valid UTF-8.
func formDecodePair(rawID, rawSecret string) (string, string) {
	id, err := url.QueryUnescape(rawID)
	if err != nil || id == "" || !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		return "", ""
	}
	secret, err := url.QueryUnescape(rawSecret)
	if err != nil || !utf8.ValidString(secret) || strings.ContainsRune(secret, 0) {
		return "", ""
	}
	return id, secret
}
