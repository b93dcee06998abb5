package models

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestNormalizeLoginName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "already normal", in: "alice@example.com", want: "alice@example.com"},
		{name: "upper case", in: "Alice@Example.COM", want: "alice@example.com"},
		{name: "surrounding spaces", in: "  alice@example.com \t\n", want: "alice@example.com"},
		{name: "decomposed accent to NFC", in: "jose\u0301@example.com", want: "josé@example.com"},
		{name: "precomposed accent unchanged", in: "josé@example.com", want: "josé@example.com"},
		{name: "upper case with accent", in: "JOSÉ@EXAMPLE.COM", want: "josé@example.com"},
		{name: "sharp s folds to ss", in: "straße@example.com", want: "strasse@example.com"},
		{name: "Kelvin sign folds to k", in: "\u212Aate@example.com", want: "kate@example.com"},
		{name: "final sigma folds to sigma", in: "ΟΔΥΣΣΕΥΣ@example.com", want: "οδυσσευσ@example.com"},
		{name: "j with caron stays NFC", in: "\u01F0@example.com", want: "\u01F0@example.com"},
		{name: "Cherokee capital stays capital", in: "\u13A0\u13F5@example.com", want: "\u13A0\u13F5@example.com"},
		{name: "Cherokee small folds to capital", in: "\uAB70\u13FD@example.com", want: "\u13A0\u13F5@example.com"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormalizeLoginName(tt.in)
			if got != tt.want {
				t.Errorf("NormalizeLoginName(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := NormalizeLoginName(got); again != got {
				t.Errorf("NormalizeLoginName is not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestNormalizeLoginNameIdempotent(t *testing.T) {
	for r := rune(0); r <= 0x2FFFF; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		key := NormalizeLoginName("a" + string(r) + "@b")
		if again := NormalizeLoginName(key); again != key {
			t.Errorf("NormalizeLoginName(%U): %q normalises again to %q", r, key, again)
		}
	}
}

func TestNormalizeLoginNameCaseVariants(t *testing.T) {
	// Every rune in a unicode.SimpleFold orbit must give the same key.
	for r := rune(0); r <= 0x2FFFF; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		key := NormalizeLoginName("a" + string(r) + "@b")
		for variant := unicode.SimpleFold(r); variant != r; variant = unicode.SimpleFold(variant) {
			if got := NormalizeLoginName("a" + string(variant) + "@b"); got != key {
				t.Errorf("%U gives key %q but its case variant %U gives %q", r, key, variant, got)
			}
		}
	}
}

func TestNormalizeLoginNameSameKey(t *testing.T) {
	variants := []string{"Straße@Example.com", "STRASSE@example.COM", "strasse@example.com", " straße@example.com "}
	want := NormalizeLoginName(variants[0])
	for _, v := range variants[1:] {
		if got := NormalizeLoginName(v); got != want {
			t.Errorf("NormalizeLoginName(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestValidateLoginName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string // substring of the error, or "" for success
	}{
		{name: "plain", in: "user-01@example.com", wantErr: ""},
		{name: "surrounding spaces trimmed", in: "  user-01@example.com  ", wantErr: ""},
		{name: "non-ASCII", in: "josé@bücher.example", wantErr: ""},
		{name: "suffix without dot", in: "admin-01@portal", wantErr: ""},
		{name: "255 bytes", in: strings.Repeat("a", 250) + "@b.cd", wantErr: ""},
		{name: "empty", in: "", wantErr: "empty"},
		{name: "spaces only", in: "   ", wantErr: "empty"},
		{name: "256 bytes", in: strings.Repeat("a", 251) + "@b.cd", wantErr: "maximum is 255 bytes"},
		// U+0149 is 2 bytes and folds to U+02BC U+006E, 3 bytes.
		{name: "longer after folding", in: strings.Repeat("\u0149", 100) + "@b", wantErr: "after case folding"},
		{name: "invalid UTF-8", in: "user\xff@example.com", wantErr: "not valid UTF-8"},
		{name: "no at sign", in: "user-01", wantErr: "has no @"},
		{name: "fullwidth at sign", in: "user-01\uFF20example.com", wantErr: "has no @"},
		{name: "two at signs", in: "a@b@example.com", wantErr: "more than one @"},
		{name: "empty name", in: "@example.com", wantErr: "nothing before the @"},
		{name: "empty suffix", in: "user-01@", wantErr: "nothing after the @"},
		{name: "inner space", in: "user 01@example.com", wantErr: "white space"},
		{name: "inner tab", in: "user\t01@example.com", wantErr: "white space"},
		{name: "no-break space", in: "user\u00A001@example.com", wantErr: "white space"},
		{name: "NUL", in: "user\x0001@example.com", wantErr: "control character"},
		{name: "DEL", in: "user\x7f01@example.com", wantErr: "control character"},
		{name: "zero-width space", in: "user\u200B01@example.com", wantErr: "invisible formatting"},
		{name: "right-to-left override", in: "user\u202E01@example.com", wantErr: "invisible formatting"},
		{name: "decomposed accent", in: "jose\u0301@example.com", wantErr: ""},
		{name: "fullwidth letter", in: "\uFF21dmin@portcullis.local", wantErr: "fullwidth character 'Ａ' (U+FF21)"},
		{name: "fullwidth digit", in: "user\uFF10\uFF11@example.com", wantErr: "fullwidth character"},
		{name: "halfwidth katakana", in: "\uFF71@example.com", wantErr: "fullwidth character"},
		{name: "script tag", in: "<script>@example.com", wantErr: "contains '<', which is not allowed"},
		{name: "greater-than sign", in: "a>b@example.com", wantErr: "contains '>'"},
		{name: "double quote", in: "a\"b@example.com", wantErr: "contains '\"'"},
		{name: "apostrophe", in: "o'brien@example.com", wantErr: "contains '\\''"},
		{name: "backslash", in: "domain\\user@example.com", wantErr: "contains '\\\\'"},
		{name: "ligature", in: "\uFB01le@example.com", wantErr: "compatibility character"},
		{name: "superscript digit", in: "user\u00B2@example.com", wantErr: "compatibility character"},
		// NFC already replaces the Kelvin sign with K, the form stored.
		{name: "Kelvin sign", in: "\u212Aate@example.com", wantErr: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateLoginName(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("ValidateLoginName(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateLoginName(%q) = nil, want an error containing %q", tt.in, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ValidateLoginName(%q) = %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}
