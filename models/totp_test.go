package models

import (
	"encoding/base32"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testTOTPSecret is the 80-bit base32 secret that authenticator app
// documentation commonly uses as an example.
const testTOTPSecret = "JBSWY3DPEHPK3PXP"

// rfc6238Secret is the SHA-1 seed of RFC 6238 Appendix B,
// "12345678901234567890" in ASCII, as base32.
const rfc6238Secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// testTOTPBase is a fixed start of a 30-second step (1796342400 is a
// multiple of 30).
var testTOTPBase = time.Unix(1796342400, 0)

func TestTOTPCodeRFC6238Vectors(t *testing.T) {
	// Appendix B lists 8-digit codes. A 6-digit code is the same value
	// modulo 10^6, so it is the last six digits.
	tests := []struct {
		name string
		unix int64
		want string
	}{
		{name: "T=59", unix: 59, want: "287082"},
		{name: "T=1111111109", unix: 1111111109, want: "081804"},
		{name: "T=1111111111", unix: 1111111111, want: "050471"},
		{name: "T=1234567890", unix: 1234567890, want: "005924"},
		{name: "T=2000000000", unix: 2000000000, want: "279037"},
		{name: "T=20000000000", unix: 20000000000, want: "353130"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := TOTPCode(rfc6238Secret, time.Unix(tt.unix, 0))
			if err != nil {
				t.Fatalf("TOTPCode: %v", err)
			}
			if got != tt.want {
				t.Errorf("TOTPCode(T=%d) = %q, want %q", tt.unix, got, tt.want)
			}
		})
	}
}

func TestTOTPCodeSecretForms(t *testing.T) {
	want, err := TOTPCode(testTOTPSecret, testTOTPBase)
	if err != nil {
		t.Fatalf("TOTPCode: %v", err)
	}
	for _, secret := range []string{"jbswy3dpehpk3pxp", " JBSWY3DPEHPK3PXP ", "JBSWY3DPEHPK3PXP======"} {
		got, err := TOTPCode(secret, testTOTPBase)
		if err != nil {
			t.Errorf("TOTPCode(%q) error = %v", secret, err)
			continue
		}
		if got != want {
			t.Errorf("TOTPCode(%q) = %q, want %q", secret, got, want)
		}
	}
}

func TestTOTPCodeRejectsBadInput(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		at     time.Time
	}{
		{name: "empty secret", secret: "", at: testTOTPBase},
		{name: "not base32", secret: "JBSWY3DPEHPK3PX1", at: testTOTPBase},
		{name: "40-bit secret", secret: "JBSWY3DP", at: testTOTPBase},
		{name: "before the Unix epoch", secret: testTOTPSecret, at: time.Unix(-30, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, err := TOTPCode(tt.secret, tt.at); err == nil {
				t.Errorf("TOTPCode() = %q, nil, want an error", code)
			}
		})
	}
}

func TestGenerateTOTPSecret(t *testing.T) {
	first, err := GenerateTOTPSecret()
	if err != nil {
		t.Fatalf("GenerateTOTPSecret: %v", err)
	}
	if len(first) != 32 {
		t.Errorf("secret length = %d characters, want 32", len(first))
	}
	if strings.Contains(first, "=") {
		t.Errorf("secret %q contains padding", first)
	}
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(first)
	if err != nil {
		t.Fatalf("secret %q is not base32: %v", first, err)
	}
	if len(key) != 20 {
		t.Errorf("secret decodes to %d bytes, want 20", len(key))
	}
	if _, err := TOTPCode(first, testTOTPBase); err != nil {
		t.Errorf("TOTPCode(new secret) error = %v", err)
	}

	second, err := GenerateTOTPSecret()
	if err != nil {
		t.Fatalf("GenerateTOTPSecret: %v", err)
	}
	if first == second {
		t.Errorf("two secrets are equal: %q", first)
	}
}

func mustTOTPCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := TOTPCode(secret, at)
	if err != nil {
		t.Fatalf("TOTPCode: %v", err)
	}
	return code
}

func TestVerifyTOTPWindow(t *testing.T) {
	step := testTOTPBase.Unix() / 30
	code := mustTOTPCode(t, testTOTPSecret, testTOTPBase)

	tests := []struct {
		name     string
		now      time.Time
		wantOK   bool
		wantStep int64
	}{
		{name: "first second of the step", now: testTOTPBase, wantOK: true, wantStep: step},
		{name: "last second of the step", now: testTOTPBase.Add(29 * time.Second), wantOK: true, wantStep: step},
		{name: "start of the next step", now: testTOTPBase.Add(30 * time.Second), wantOK: true, wantStep: step},
		{name: "end of the next step", now: testTOTPBase.Add(59 * time.Second), wantOK: true, wantStep: step},
		{name: "two steps later", now: testTOTPBase.Add(60 * time.Second), wantOK: false},
		{name: "last second of the previous step", now: testTOTPBase.Add(-1 * time.Second), wantOK: true, wantStep: step},
		{name: "start of the previous step", now: testTOTPBase.Add(-30 * time.Second), wantOK: true, wantStep: step},
		{name: "two steps earlier", now: testTOTPBase.Add(-31 * time.Second), wantOK: false},
		{name: "before the Unix epoch", now: time.Unix(-1, 0), wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotStep, ok := VerifyTOTP(testTOTPSecret, code, tt.now, 0)
			if ok != tt.wantOK {
				t.Fatalf("VerifyTOTP() ok = %v, want %v", ok, tt.wantOK)
			}
			if ok && gotStep != tt.wantStep {
				t.Errorf("VerifyTOTP() step = %d, want %d", gotStep, tt.wantStep)
			}
		})
	}
}

func TestVerifyTOTPReplay(t *testing.T) {
	step := testTOTPBase.Unix() / 30
	now := testTOTPBase.Add(10 * time.Second)
	previous := mustTOTPCode(t, testTOTPSecret, testTOTPBase.Add(-30*time.Second))
	current := mustTOTPCode(t, testTOTPSecret, testTOTPBase)
	next := mustTOTPCode(t, testTOTPSecret, testTOTPBase.Add(30*time.Second))

	tests := []struct {
		name         string
		code         string
		lastUsedStep int64
		wantOK       bool
	}{
		{name: "first use", code: current, lastUsedStep: 0, wantOK: true},
		{name: "same step used", code: current, lastUsedStep: step, wantOK: false},
		{name: "later step used", code: current, lastUsedStep: step + 1, wantOK: false},
		{name: "previous step after it was used", code: previous, lastUsedStep: step - 1, wantOK: false},
		{name: "previous step after older use", code: previous, lastUsedStep: step - 2, wantOK: true},
		{name: "previous step after current was used", code: previous, lastUsedStep: step, wantOK: false},
		{name: "next step after current was used", code: next, lastUsedStep: step, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := VerifyTOTP(testTOTPSecret, tt.code, now, tt.lastUsedStep); ok != tt.wantOK {
				t.Errorf("VerifyTOTP() ok = %v, want %v", ok, tt.wantOK)
			}
		})
	}
}

func TestVerifyTOTPSecondUseRejected(t *testing.T) {
	now := testTOTPBase.Add(5 * time.Second)
	code := mustTOTPCode(t, testTOTPSecret, now)

	step, ok := VerifyTOTP(testTOTPSecret, code, now, 0)
	if !ok {
		t.Fatalf("first VerifyTOTP() ok = false")
	}
	// A double submit later in the same step.
	if _, ok := VerifyTOTP(testTOTPSecret, code, now.Add(20*time.Second), step); ok {
		t.Errorf("second VerifyTOTP() in the same step ok = true")
	}
	// The same code is still inside the window one step later.
	if _, ok := VerifyTOTP(testTOTPSecret, code, now.Add(30*time.Second), step); ok {
		t.Errorf("second VerifyTOTP() one step later ok = true")
	}
}

func TestVerifyTOTPConcurrentCompareAndSet(t *testing.T) {
	// This is how callers store the step: only the request whose
	// compare-and-set succeeds has signed in.
	now := testTOTPBase.Add(5 * time.Second)
	code := mustTOTPCode(t, testTOTPSecret, now)

	var lastUsedStep atomic.Int64
	var successes atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			previous := lastUsedStep.Load()
			step, ok := VerifyTOTP(testTOTPSecret, code, now, previous)
			if ok && lastUsedStep.CompareAndSwap(previous, step) {
				successes.Add(1)
			}
		})
	}
	wg.Wait()

	if got := successes.Load(); got != 1 {
		t.Errorf("%d concurrent verifications succeeded, want exactly 1", got)
	}
}

// findLeadingZeroTOTP returns a time whose code for secret starts with "0".
func findLeadingZeroTOTP(t *testing.T, secret string) (time.Time, string) {
	t.Helper()
	for i := range 10000 {
		at := testTOTPBase.Add(time.Duration(i) * 30 * time.Second)
		code := mustTOTPCode(t, secret, at)
		if code[0] == '0' {
			return at, code
		}
	}
	t.Fatalf("no code with a leading zero in 10000 steps")
	return time.Time{}, ""
}

func TestVerifyTOTPStrictFormat(t *testing.T) {
	now, code := findLeadingZeroTOTP(t, testTOTPSecret)
	toFullwidth := func(s string) string {
		return strings.Map(func(r rune) rune { return r - '0' + '０' }, s)
	}
	toArabicIndic := func(s string) string {
		return strings.Map(func(r rune) rune { return r - '0' + '٠' }, s)
	}

	tests := []struct {
		name   string
		code   string
		wantOK bool
	}{
		{name: "correct code with leading zero", code: code, wantOK: true},
		{name: "leading zero dropped", code: code[1:], wantOK: false},
		{name: "extra leading zero", code: "0" + code, wantOK: false},
		{name: "plus sign instead of zero", code: "+" + code[1:], wantOK: false},
		{name: "decimal suffix", code: code + ".0", wantOK: false},
		{name: "fullwidth digits", code: toFullwidth(code), wantOK: false},
		{name: "Arabic-Indic digits", code: toArabicIndic(code), wantOK: false},
		{name: "leading space", code: " " + code, wantOK: false},
		{name: "trailing space", code: code + " ", wantOK: false},
		{name: "inner space", code: code[:3] + " " + code[3:], wantOK: false},
		{name: "trailing newline", code: code + "\n", wantOK: false},
		{name: "empty", code: "", wantOK: false},
		{name: "hex-looking", code: "0x" + code[2:], wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := VerifyTOTP(testTOTPSecret, tt.code, now, 0); ok != tt.wantOK {
				t.Errorf("VerifyTOTP(%q) ok = %v, want %v (code %q)", tt.code, ok, tt.wantOK, code)
			}
		})
	}
}

func TestVerifyTOTPInvalidSecret(t *testing.T) {
	for _, secret := range []string{"", "not base32!", "JBSWY3DP"} {
		if _, ok := VerifyTOTP(secret, "000000", testTOTPBase, 0); ok {
			t.Errorf("VerifyTOTP(secret %q) ok = true", secret)
		}
	}
}

func TestVerifyNumericCode(t *testing.T) {
	tests := []struct {
		name     string
		expected string
		given    string
		want     bool
	}{
		{name: "equal", expected: "012345", given: "012345", want: true},
		{name: "eight digits", expected: "01234567", given: "01234567", want: true},
		{name: "different", expected: "012345", given: "012346", want: false},
		{name: "leading zero dropped", expected: "012345", given: "12345", want: false},
		{name: "extra leading zero", expected: "012345", given: "0012345", want: false},
		{name: "plus sign", expected: "012345", given: "+12345", want: false},
		{name: "decimal suffix", expected: "012345", given: "012345.0", want: false},
		{name: "fullwidth digits", expected: "012345", given: "０１２３４５", want: false},
		{name: "Arabic-Indic digits", expected: "012345", given: "٠١٢٣٤٥", want: false},
		{name: "leading space", expected: "012345", given: " 012345", want: false},
		{name: "inner space", expected: "012345", given: "012 345", want: false},
		{name: "both empty", expected: "", given: "", want: false},
		{name: "expected not digits", expected: "abcdef", given: "abcdef", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyNumericCode(tt.expected, tt.given); got != tt.want {
				t.Errorf("VerifyNumericCode(%q, %q) = %v, want %v", tt.expected, tt.given, got, tt.want)
			}
		})
	}
}

func TestGenerateNumericCode(t *testing.T) {
	for _, digits := range []int{1, 6, 8, 18} {
		code, err := GenerateNumericCode(digits)
		if err != nil {
			t.Fatalf("GenerateNumericCode(%d): %v", digits, err)
		}
		if !isASCIIDigits(code, digits) {
			t.Errorf("GenerateNumericCode(%d) = %q, want %d ASCII digits", digits, code, digits)
		}
	}

	for _, digits := range []int{-1, 0, 19} {
		if code, err := GenerateNumericCode(digits); err == nil {
			t.Errorf("GenerateNumericCode(%d) = %q, nil, want an error", digits, code)
		}
	}
}

func TestGenerateNumericCodeUniform(t *testing.T) {
	// 20000 one-digit codes: each digit is expected 2000 times with a
	// standard deviation near 42, so 1700 to 2300 fails only on a real bias.
	const draws = 20000
	var counts [10]int
	for range draws {
		code, err := GenerateNumericCode(1)
		if err != nil {
			t.Fatalf("GenerateNumericCode: %v", err)
		}
		counts[code[0]-'0']++
	}
	for digit, n := range counts {
		if n < 1700 || n > 2300 {
			t.Errorf("digit %d drawn %d times of %d, want 1700 to 2300", digit, n, draws)
		}
	}

	// Leading zeros are kept, so some 6-digit codes start with 0.
	zeros := 0
	for range 1000 {
		code, err := GenerateNumericCode(6)
		if err != nil {
			t.Fatalf("GenerateNumericCode: %v", err)
		}
		if code[0] == '0' {
			zeros++
		}
	}
	if zeros == 0 {
		t.Errorf("no 6-digit code of 1000 started with 0")
	}
}
