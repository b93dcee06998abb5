package models

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestVerifyJWTRejectsCriticalHeader signs a token that marks a header
// extension critical with the store's own key, so only the crit check
// can reject it.
func TestVerifyJWTRejectsCriticalHeader(t *testing.T) {
	s := openInternalTestStore(t)
	ctx := context.Background()
	key, err := s.activeSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := s.Now()
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "http://localhost:8080/", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	token.Header["kid"] = key.row.Kid
	token.Header["crit"] = []string{"b64"}
	token.Header["b64"] = false
	signed, err := token.SignedString(key.private)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.VerifyJWT(ctx, signed, "http://localhost:8080/"); !errors.Is(err, ErrInvalidJWT) {
		t.Fatalf("got %v, want ErrInvalidJWT", err)
	}
}
