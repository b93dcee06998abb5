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
	s = strings.Map(foldCherokeeToUpper, s)
	return norm.NFC.String(s)
}

// foldCherokeeToUpper maps Cherokee small letters to the capital letters.
// Unicode CaseFolding.txt folds Cherokee to the capitals, because they were
// encoded first, but x/text v0.44.0 cases.Fold swaps the two cases. Without
// this step "Ꭰ" and "ꭰ" would get different keys.
func foldCherokeeToUpper(r rune) rune {
	switch {
	case r >= 0xAB70 && r <= 0xABBF: // small letters a to ya
		return r - 0xAB70 + 0x13A0
	case r >= 0x13F8 && r <= 0x13FD: // small letters ye to mv
		return r - 0x13F8 + 0x13F0
	}
	return r
}

// ValidateLoginName checks a login name of the form name@suffix after
// surrounding white space is trimmed. The name must be valid UTF-8 and at
// most 255 bytes long, both as entered and after NormalizeLoginName. It must
// contain exactly one "@" with text on both sides. White space, control
// characters and invisible formatting characters such as U+200B or
// bidirectional overrides are rejected, and so are look-alike characters
// (see checkLoginNameLookAlikes).
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
		return fmt.Errorf("login name %q has no @. Use the form name@suffix", s)
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
	return checkLoginNameLookAlikes(s)
}

// loginNameMarkup lists the ASCII characters a login name may not contain,
// because they delimit markup, quoted strings and escapes where login
// names are shown or logged.
const loginNameMarkup = `<>"'\`

// checkLoginNameLookAlikes rejects characters that imitate other
// characters or markup. These are the ASCII characters in loginNameMarkup
// and the Unicode Halfwidth and Fullwidth Forms block (U+FF00 to U+FFEF,
// where "Ａ" imitates "A"). They also include every other character that
// Unicode NFKC normalisation replaces, such as ligatures and superscripts.
// The NFKC check runs on the NFC form, which is the form the store keeps,
// so decomposed accents and the Kelvin sign (NFC turns it into K) pass.
func checkLoginNameLookAlikes(s string) error {
	for _, r := range s {
		if strings.ContainsRune(loginNameMarkup, r) {
			return fmt.Errorf("login name contains %q, which is not allowed. Login names cannot contain < > \" ' or \\", r)
		}
		if r >= 0xFF00 && r <= 0xFFEF {
			return fmt.Errorf("login name contains the halfwidth or fullwidth character %q (%U). Type %q instead", r, r, norm.NFKC.String(string(r)))
		}
	}
	nfc := norm.NFC.String(s)
	if norm.NFKC.String(nfc) == nfc {
		return nil
	}
	for _, r := range nfc {
		if plain := norm.NFKC.String(string(r)); plain != string(r) {
			return fmt.Errorf("login name contains the compatibility character %q (%U). Type %q instead", r, r, plain)
		}
	}
	return errors.New("login name changes under Unicode NFKC normalisation. Type it without compatibility characters")
}
