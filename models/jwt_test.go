package models_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestSignJWTHeader(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		token, err := s.SignJWT(ctx, testClaims(s.Now(), time.Hour), map[string]any{"app_id": "billing-api"})
		if err != nil {
			t.Fatal(err)
		}
		parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := s.PublishedKeys(ctx)
		want := map[string]any{"alg": "RS256", "typ": "JWT", "kid": keys[0].Kid, "x5t": keys[0].X5T(), "app_id": "billing-api"}
		for name, value := range want {
			if parsed.Header[name] != value {
				t.Errorf("header %s = %v, want %v", name, parsed.Header[name], value)
			}
		}

		for _, name := range []string{"alg", "kid", "jku", "x5c", "crit"} {
			if _, err := s.SignJWT(ctx, testClaims(s.Now(), time.Hour), map[string]any{name: "x"}); err == nil {
				t.Errorf("extra header %s was accepted", name)
			}
		}
	})
}

// forge builds a token from a header and payload, both JSON, and a
// signature, without any library that would refuse odd values.
func forge(header, payload string, signature string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload)) + "." + signature
}

func TestVerifyJWTRejectsForgeries(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := s.Now()
		valid := signTestToken(t, s, time.Hour)
		parts := strings.Split(valid, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		keys, _ := s.PublishedKeys(ctx)
		kid := keys[0].Kid

		cert, _ := x509.ParseCertificate(keys[0].CertDER)
		publicDER, _ := x509.MarshalPKIXPublicKey(cert.PublicKey)
		publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicDER})
		hmacWith := func(secret []byte) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, testClaims(now, time.Hour))
			tok.Header["kid"] = kid
			signed, err := tok.SignedString(secret)
			if err != nil {
				t.Fatal(err)
			}
			return signed
		}
		foreignKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		signWith := func(key *rsa.PrivateKey, claims jwt.MapClaims, header map[string]any) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
			for k, v := range header {
				tok.Header[k] = v
			}
			signed, err := tok.SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return signed
		}
		tamperedPayload := strings.Replace(string(payload), `"scope":"tfu"`, `"scope":"admin-all"`, 1)

		cases := []struct {
			name  string
			token string
		}{
			{"alg none empty signature", forge(`{"alg":"none","typ":"JWT"}`, string(payload), "")},
			{"alg NONE empty signature", forge(`{"alg":"NONE","typ":"JWT"}`, string(payload), "")},
			{"alg none original signature", forge(`{"alg":"none","typ":"JWT"}`, string(payload), parts[2])},
			{"alg none with kid", forge(`{"alg":"none","typ":"JWT","kid":"`+kid+`"}`, string(payload), "")},
			{"alg none with widened scope", forge(`{"alg":"none","typ":"JWT"}`, tamperedPayload, "")},
			{"payload changed under RS256", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tamperedPayload)) + "." + parts[2]},
			{"HS256 keyed with the public key PEM", hmacWith(publicPEM)},
			{"HS256 keyed with the public key DER", hmacWith(publicDER)},
			{"HS256 keyed with the certificate", hmacWith(keys[0].CertDER)},
			{"foreign key with our kid", signWith(foreignKey, testClaims(now, time.Hour), map[string]any{"kid": kid})},
			{"unknown kid", signWith(foreignKey, testClaims(now, time.Hour), map[string]any{"kid": "0000000000000000000000000000000000000000"})},
			{"no kid", signWith(foreignKey, testClaims(now, time.Hour), nil)},
			{"expired beyond the leeway", signTestToken(t, s, -time.Minute-models.JWTLeeway)},
			{"not a JWT (an icbt token)", "q3XhT5wJ0ZbS8vK2mPzLr7N4cYdEaF1gH9uI6oWjBks"},
			{"empty", ""},
			{"oversized", strings.Repeat("a", 9000)},
			{"two segments", parts[0] + "." + parts[1]},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				claims, err := s.VerifyJWT(ctx, tc.token, testIssuer)
				if err == nil {
					t.Fatalf("accepted, claims %v", claims)
				}
				if !errors.Is(err, models.ErrInvalidJWT) {
					t.Errorf("error %v does not wrap ErrInvalidJWT", err)
				}
			})
		}

		t.Run("wrong issuer", func(t *testing.T) {
			if _, err := s.VerifyJWT(ctx, valid, "https://other.example/"); !errors.Is(err, models.ErrInvalidJWT) {
				t.Errorf("got %v, want ErrInvalidJWT", err)
			}
		})
		t.Run("empty expected issuer", func(t *testing.T) {
			if _, err := s.VerifyJWT(ctx, valid, ""); err == nil {
				t.Error("verified without an expected issuer")
			}
		})
		t.Run("valid token", func(t *testing.T) {
			claims, err := s.VerifyJWT(ctx, valid, testIssuer)
			if err != nil {
				t.Fatal(err)
			}
			if claims["scope"] != "tfu" {
				t.Errorf("scope claim %v", claims["scope"])
			}
		})
	})
}

func TestVerifyJWTTimeChecks(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		// A frozen clock keeps the cases near exp independent of how
		// long the test takes.
		realNow := s.Now
		defer func() { s.Now = realNow }()
		base := time.Unix(realNow().Unix(), 0).UTC()
		s.Now = func() time.Time { return base }
		token := signTestToken(t, s, time.Hour)

		cases := []struct {
			name   string
			shift  time.Duration
			accept bool
		}{
			{"now", 0, true},
			{"just before exp", time.Hour - time.Second, true},
			{"within the leeway after exp", time.Hour + models.JWTLeeway - time.Second, true},
			{"after exp and leeway", time.Hour + models.JWTLeeway + time.Second, false},
			{"long after exp", time.Hour + time.Minute*61, false},
			{"before nbf beyond the leeway", -models.JWTLeeway - time.Minute, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.Now = func() time.Time { return base.Add(tc.shift) }
				_, err := s.VerifyJWT(ctx, token, testIssuer)
				if tc.accept && err != nil {
					t.Errorf("rejected: %v", err)
				}
				if !tc.accept && !errors.Is(err, models.ErrInvalidJWT) {
					t.Errorf("got %v, want ErrInvalidJWT", err)
				}
			})
		}
		s.Now = realNow

		t.Run("missing exp", func(t *testing.T) {
			claims := testClaims(s.Now(), time.Hour)
			delete(claims, "exp")
			token, _ := s.SignJWT(ctx, claims, nil)
			if _, err := s.VerifyJWT(ctx, token, testIssuer); !errors.Is(err, models.ErrInvalidJWT) {
				t.Errorf("token without exp: got %v", err)
			}
		})
	})
}

func TestJWKSVerifiesWithGoJose(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		token := signTestToken(t, s, time.Hour)
		set, err := s.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(set)

		var joseSet jose.JSONWebKeySet
		if err := json.Unmarshal(raw, &joseSet); err != nil {
			t.Fatalf("go-jose rejects the JWKS: %v\n%s", err, raw)
		}
		if len(joseSet.Keys) != 1 {
			t.Fatalf("%d keys in the JWKS", len(joseSet.Keys))
		}
		jwk := joseSet.Keys[0]
		if jwk.Algorithm != "RS256" || jwk.Use != "sig" || len(jwk.Certificates) != 1 || len(jwk.CertificateThumbprintSHA1) != 20 {
			t.Errorf("JWK fields: alg %q use %q, %d certificates, x5t of %d bytes", jwk.Algorithm, jwk.Use, len(jwk.Certificates), len(jwk.CertificateThumbprintSHA1))
		}

		signed, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		matches := joseSet.Key(signed.Signatures[0].Header.KeyID)
		if len(matches) != 1 {
			t.Fatalf("kid %q is not in the JWKS", signed.Signatures[0].Header.KeyID)
		}
		if _, err := signed.Verify(matches[0].Key); err != nil {
			t.Errorf("go-jose rejects the signature: %v", err)
		}
	})
}

// BenchmarkSignJWT measures signing an access token with the cached
// RSA-2048 key.
func BenchmarkSignJWT(b *testing.B) {
	s := modeltest.OpenBackend(b, modeltest.Backends(b)[0], modeltest.FastSettings())
	ctx := context.Background()
	claims := testClaims(s.Now(), time.Hour)
	if _, err := s.SignJWT(ctx, claims, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.SignJWT(ctx, claims, map[string]any{"app_id": "billing-api"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyJWT measures verifying an access token that verified
// before, as a backend's reused token does: the cache of verified tokens
// skips the signature and checks the claims and the key.
// BenchmarkVerifyJWTSignature measures the first verification.
func BenchmarkVerifyJWT(b *testing.B) {
	s := modeltest.OpenBackend(b, modeltest.Backends(b)[0], modeltest.FastSettings())
	ctx := context.Background()
	token := signTestToken(b, s, time.Hour)
	for b.Loop() {
		if _, err := s.VerifyJWT(ctx, token, testIssuer); err != nil {
			b.Fatal(err)
		}
	}
}
