package models

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

const maxLoginNameBytes = 255

// NormalizeLoginName returns the unique key for a login name: surrounding
// white space is trimmed, the text is brought to Unicode NFC and then
// case-folded, so "Alice@Example.COM" and "alice@example.com" share one key.
// Folding can produce decomposed text (U+01F0 folds to "j" plus U+030C), so
// the result is brought to NFC again, which keeps the function idempotent.
func NormalizeLoginName(s string) string {
	s = strings.TrimSpace(s)
	s = norm.NFC.String(s)
	// A cases.Caser keeps state, so each call creates its own.
	s = cases.Fold().String(s)
	return norm.NFC.String(s)
}

// ValidateLoginName checks a login name of the form name@suffix after
// surrounding white space is trimmed. It must be valid UTF-8, at most 255
// bytes long both as entered and after NormalizeLoginName, contain exactly
// one "@" with text on both sides, and contain no white space, control or
// invisible formatting characters (such as U+200B or bidirectional
// overrides).
func ValidateLoginName(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errors.New("login name is empty")
	}
	if !utf8.ValidString(s) {
		return errors.New("login name is not valid UTF-8 text")
	}
	if len(s) > maxLoginNameBytes {
		return fmt.Errorf("login name is %d bytes long, the maximum is %d bytes", len(s), maxLoginNameBytes)
	}
	if n := len(NormalizeLoginName(s)); n > maxLoginNameBytes {
		return fmt.Errorf("login name is %d bytes long after case folding, the maximum is %d bytes", n, maxLoginNameBytes)
	}

	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			return fmt.Errorf("login name contains the white space character %U", r)
		case unicode.IsControl(r):
			return fmt.Errorf("login name contains the control character %U", r)
		case unicode.Is(unicode.Cf, r):
			return fmt.Errorf("login name contains the invisible formatting character %U", r)
		}
	}

	name, suffix, found := strings.Cut(s, "@")
	if !found {
		return fmt.Errorf("login name %q has no @; use the form name@suffix", s)
	}
	if strings.Contains(suffix, "@") {
		return fmt.Errorf("login name %q contains more than one @", s)
	}
	if name == "" {
		return fmt.Errorf("login name %q has nothing before the @", s)
	}
	if suffix == "" {
		return fmt.Errorf("login name %q has nothing after the @", s)
	}
	return nil
}
