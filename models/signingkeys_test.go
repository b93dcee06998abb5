package models_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

const testIssuer = "http://localhost:8080/"

func testClaims(now time.Time, lifetime time.Duration) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   testIssuer,
		"aud":   "app-key",
		"sub":   "client",
		"scope": "tfu",
		"jti":   models.NewID(),
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(lifetime).Unix(),
	}
}

func signTestToken(t testing.TB, s *models.Store, lifetime time.Duration) string {
	t.Helper()
	token, err := s.SignJWT(context.Background(), testClaims(s.Now(), lifetime), nil)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestEnsureSigningKeyCreatesOneSealedKey(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for range 2 {
			if err := s.EnsureSigningKey(ctx); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := s.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 {
			t.Fatalf("%d keys after two calls, want 1", len(keys))
		}
		key := keys[0]

		sum := sha1.Sum(key.CertDER)
		if want := strings.ToUpper(hex.EncodeToString(sum[:])); key.Kid != want {
			t.Errorf("kid %q, want the upper-case hex SHA-1 thumbprint %q", key.Kid, want)
		}
		if want := base64.RawURLEncoding.EncodeToString(sum[:]); key.X5T() != want {
			t.Errorf("x5t %q, want %q", key.X5T(), want)
		}
		cert, err := x509.ParseCertificate(key.CertDER)
		if err != nil {
			t.Fatal(err)
		}
		if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
			t.Errorf("certificate is not self-signed: %v", err)
		}
		public := cert.PublicKey.(*rsa.PublicKey)
		if public.N.BitLen() < 2048 {
			t.Errorf("RSA key has %d bits, want at least 2048", public.N.BitLen())
		}

		der, err := s.Keys.Open(models.PurposeSigningKey, key.PrivateKeyEnc)
		if err != nil {
			t.Fatalf("private key does not open with the signing-key purpose: %v", err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
			t.Errorf("opened private key is not PKCS #8: %v", err)
		}
		if strings.Contains(string(key.PrivateKeyEnc), string(der[:64])) {
			t.Error("the stored private key contains its DER in clear")
		}
		if _, err := s.Keys.Open(models.PurposeTOTPSecret, key.PrivateKeyEnc); err == nil {
			t.Error("the private key opens with another purpose's key")
		}
	})
}

func TestEnsureSigningKeyConcurrentInstances(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			instances := []*models.Store{
				modeltest.OpenBackend(t, b, modeltest.FastSettings()),
				modeltest.OpenBackend(t, b, modeltest.FastSettings()),
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- instances[i%2].EnsureSigningKey(context.Background())
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			keys, err := instances[0].SigningKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%d keys after concurrent starts, want exactly 1", len(keys))
			}
		})
	}
}

func TestRotateSigningKeyKeepsIssuedTokensValid(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		oldToken := signTestToken(t, s, time.Hour)
		oldKeys, _ := s.PublishedKeys(ctx)

		newKid, err := s.RotateSigningKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if newKid == oldKeys[0].Kid {
			t.Fatal("rotation kept the old kid")
		}
		if _, err := s.VerifyJWT(ctx, oldToken, testIssuer); err != nil {
			t.Errorf("token signed before the rotation no longer verifies: %v", err)
		}
		newToken := signTestToken(t, s, time.Hour)
		parsed, _, _ := jwt.NewParser().ParseUnverified(newToken, jwt.MapClaims{})
		if parsed.Header["kid"] != newKid {
			t.Errorf("new token signed with kid %v, want %s", parsed.Header["kid"], newKid)
		}

		published, err := s.PublishedKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(published) != 2 || published[0].Kid != newKid || !published[0].IsActive() {
			t.Fatalf("published keys after rotation: %+v", published)
		}
		retired := published[1]
		overlap, _ := s.SigningKeyOverlap(ctx)
		if retired.PublishUntil == nil || retired.PublishUntil.Sub(*retired.RetiredAt) != overlap {
			t.Errorf("retired key published until %v, want retirement + %s", retired.PublishUntil, overlap)
		}
		if len(published[0].PrivateKeyEnc) != 0 || len(retired.PrivateKeyEnc) != 0 {
			t.Error("PublishedKeys returns sealed private keys")
		}

		// Once the publication ends, the retired key leaves the JWKS.
		realNow := s.Now
		s.Now = func() time.Time { return realNow().Add(overlap + time.Minute) }
		defer func() { s.Now = realNow }()
		published, _ = s.PublishedKeys(ctx)
		if len(published) != 1 || published[0].Kid != newKid {
			t.Errorf("published keys after the overlap: %d keys", len(published))
		}
	})
}

func TestSigningKeyOverlapFollowsAppLifetimes(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		slack := 30*time.Second + models.JWTLeeway

		overlap, err := s.SigningKeyOverlap(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if overlap != models.MinSigningKeyOverlap+slack {
			t.Errorf("overlap with no apps: %s, want %s", overlap, models.MinSigningKeyOverlap+slack)
		}

		for _, lifetime := range []int{3600, 10 * 24 * 3600} {
			app, err := s.CreateApp(ctx, models.NewApp{Template: models.TemplateOAuthClient, Name: "Overlap", ApplicationID: models.NewID()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateAppTokens(ctx, app.ID, models.AppTokens{AllowClientCreds: true, LifetimeSeconds: lifetime}); err != nil {
				t.Fatal(err)
			}
		}
		overlap, _ = s.SigningKeyOverlap(ctx)
		if want := 10*24*time.Hour + slack; overlap != want {
			t.Errorf("overlap: %s, want the longest lifetime plus slack, %s", overlap, want)
		}
	})
}

func TestRotationReachesOtherInstance(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			first := modeltest.OpenBackend(t, b, modeltest.FastSettings())
			second := modeltest.OpenBackend(t, b, modeltest.FastSettings())
			if _, err := second.VerifyJWT(ctx, signTestToken(t, first, time.Hour), testIssuer); err != nil {
				t.Fatalf("second instance rejects the first one's token: %v", err)
			}

			if _, err := first.RotateSigningKey(ctx); err != nil {
				t.Fatal(err)
			}
			// The second instance has cached the old key set; the new kid
			// makes it reload.
			if _, err := second.VerifyJWT(ctx, signTestToken(t, first, time.Hour), testIssuer); err != nil {
				t.Errorf("second instance rejects a token signed with the rotated key: %v", err)
			}
		})
	}
}
