package models

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Benchmarks of the pieces of the hot paths that need no database. The
// parallel ones keep every CPU busy, so their ns/op is wall time per
// operation on all cores, and ns/op times GOMAXPROCS is CPU time per
// operation.

// reportCPUTime is modeltest.ReportCPUTime, which this package's tests
// cannot import: it reports the process's CPU time per operation as
// cpu-ns/op.
func reportCPUTime(b *testing.B) func() {
	cpu := func() time.Duration {
		var usage syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
			b.Fatalf("getrusage: %v", err)
		}
		return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	}
	start := cpu()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkRSASignPKCS1v15 measures the RS256 signature alone, with
// crypto/rsa and a 2048-bit key: the floor under the cost of an access
// token.
func BenchmarkRSASignPKCS1v15(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("header.payload"))
	b.Run("serial", func(b *testing.B) {
		defer reportCPUTime(b)()
		for b.Loop() {
			if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		defer reportCPUTime(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkVerifyJWTSignature measures VerifyJWT of a token it has not
// seen: the RS256 signature check with the cached public key, the JSON
// decoding and the claim checks.
func BenchmarkVerifyJWTSignature(b *testing.B) {
	s := openInternalTestStore(b)
	ctx := context.Background()
	now := s.Now()
	token, err := s.SignJWT(ctx, jwt.MapClaims{
		"iss": "http://localhost:8080/", "aud": "app-key", "sub": "client", "jti": NewID(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	s.verifiedJWTs = nil // every call verifies the signature
	for b.Loop() {
		if _, err := s.VerifyJWT(ctx, token, "http://localhost:8080/"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkArgon2idVerify measures one verification of a hash made with
// DefaultArgon2Params, serially and on every CPU at once. The parallel
// rate is the ceiling of the token-cold scenario.
func BenchmarkArgon2idVerify(b *testing.B) {
	h := PasswordHasher{Params: DefaultArgon2Params()}
	encoded, err := h.Hash("client-secret-0001")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		defer reportCPUTime(b)()
		for b.Loop() {
			if ok, err := h.Verify(encoded, "client-secret-0001"); err != nil || !ok {
				b.Fatalf("Verify = %v, %v", ok, err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		defer reportCPUTime(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if ok, err := h.Verify(encoded, "client-secret-0001"); err != nil || !ok {
					b.Errorf("Verify = %v, %v", ok, err)
					return
				}
			}
		})
	})
}

// BenchmarkVerifyTOTP measures VerifyTOTP, which computes and compares the
// codes of three time steps whether or not the first matches.
func BenchmarkVerifyTOTP(b *testing.B) {
	now := testTOTPBase.Add(45 * time.Second)
	code, err := TOTPCode(testTOTPSecret, now)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("valid", func(b *testing.B) {
		for b.Loop() {
			if _, ok := VerifyTOTP(testTOTPSecret, code, now, 0); !ok {
				b.Fatal("valid code rejected")
			}
		}
	})
	b.Run("wrong", func(b *testing.B) {
		wrong := "000000"
		if wrong == code {
			wrong = "111111"
		}
		for b.Loop() {
			if _, ok := VerifyTOTP(testTOTPSecret, wrong, now, 0); ok {
				b.Fatal("wrong code accepted")
			}
		}
	})
}

// BenchmarkValidateRedirect measures the failureRedirectUrl check of
// /run for each kind of target it accepts and for a rejected one.
func BenchmarkValidateRedirect(b *testing.B) {
	for _, tc := range []struct {
		name string
		raw  string
		ok   bool
	}{
		{"local path", "/demo/failed?reason=x", true},
		{"allowed URL", "https://partner.example/return?from=portcullis", true},
		{"launch origin", "https://app-a.example/failed?x=1", true},
		{"other host", "https://evil.example/", false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ValidateRedirect(tc.raw, testRedirectPolicy); (err == nil) != tc.ok {
					b.Fatalf("ValidateRedirect(%q) = %v, want ok=%v", tc.raw, err, tc.ok)
				}
			}
		})
	}
}
