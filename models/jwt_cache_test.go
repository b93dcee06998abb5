package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// The checks below run on a token that VerifyJWT has accepted once, so the
// second call takes the cached signature verification.

func TestVerifyJWTCachedTokenExpires(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		token := signTestToken(t, s, time.Hour)
		if _, err := s.VerifyJWT(ctx, token, testIssuer); err != nil {
			t.Fatal(err)
		}
		realNow := s.Now
		defer func() { s.Now = realNow }()
		s.Now = func() time.Time { return realNow().Add(time.Hour + models.JWTLeeway + time.Second) }
		if _, err := s.VerifyJWT(ctx, token, testIssuer); !errors.Is(err, models.ErrInvalidJWT) {
			t.Errorf("an expired token that verified before = %v, want ErrInvalidJWT", err)
		}
	})
}

func TestVerifyJWTCachedTokenOtherIssuer(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		token := signTestToken(t, s, time.Hour)
		if _, err := s.VerifyJWT(ctx, token, testIssuer); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyJWT(ctx, token, "https://other.example/"); !errors.Is(err, models.ErrInvalidJWT) {
			t.Errorf("a token that verified for one issuer, checked for another = %v, want ErrInvalidJWT", err)
		}
	})
}

func TestVerifyJWTCachedTokenKeyWithdrawn(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		token := signTestToken(t, s, 3*time.Hour)
		if _, err := s.VerifyJWT(ctx, token, testIssuer); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateSigningKey(ctx); err != nil {
			t.Fatal(err)
		}
		overlap, err := s.SigningKeyOverlap(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Past the old key's publication, but not past the token's
		// expiry, so only the withdrawn key can reject it.
		realNow := s.Now
		defer func() { s.Now = realNow }()
		if overlap+time.Minute >= 3*time.Hour {
			t.Fatalf("the key overlap %s outlasts the token", overlap)
		}
		s.Now = func() time.Time { return realNow().Add(overlap + time.Minute) }
		if _, err := s.VerifyJWT(ctx, token, testIssuer); !errors.Is(err, models.ErrInvalidJWT) {
			t.Errorf("a token whose key is no longer published = %v, want ErrInvalidJWT", err)
		}
	})
}

func TestVerifyJWTReturnsCopyOfClaims(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		token := signTestToken(t, s, time.Hour)
		first, err := s.VerifyJWT(ctx, token, testIssuer)
		if err != nil {
			t.Fatal(err)
		}
		first["sub"] = "changed by a caller"
		second, err := s.VerifyJWT(ctx, token, testIssuer)
		if err != nil {
			t.Fatal(err)
		}
		if second["sub"] != "client" {
			t.Errorf("sub = %v after a caller changed its copy, want client", second["sub"])
		}
	})
}
