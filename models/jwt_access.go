package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// ErrClientNotAllowed means an access token is valid, but its client or
// app may no longer use it: the client is disabled, locked or no longer an
// OAuth confidential client, or the app is disabled.
var ErrClientNotAllowed = errors.New("the client or app of the token is disabled")

// AccessToken is a verified access token of the client credentials grant
// with the client and app it names, both read at verification time.
type AccessToken struct {
	Claims    jwt.MapClaims
	JTI       string
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	Client    *User
	App       *App
}

// VerifyAccessToken checks an access token issued by the token endpoint:
// VerifyJWT, the claims the token endpoint always sets, revocation, and
// that its client (sub) and app (aud, the App Key) still exist. Those
// failures wrap ErrInvalidJWT. A token whose client or app is disabled
// returns the token with ErrClientNotAllowed, so callers can log who it
// was.
func (s *Store) VerifyAccessToken(ctx context.Context, token, issuer string) (*AccessToken, error) {
	claims, err := s.VerifyJWT(ctx, token, issuer)
	if err != nil {
		return nil, err
	}
	at, err := accessTokenFromClaims(claims)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
	}

	subject, _ := claims.GetSubject()
	client, revoked, err := s.clientAndRevocation(ctx, subject, at.JTI)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: the token's client no longer exists", ErrInvalidJWT)
	}
	if err != nil {
		return nil, err
	}
	if revoked {
		return nil, fmt.Errorf("%w: the token was revoked", ErrInvalidJWT)
	}
	at.Client = client
	audience, _ := claims.GetAudience()
	at.App, err = s.AppByAppKey(ctx, audience[0])
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: the token's app no longer exists", ErrInvalidJWT)
	}
	if err != nil {
		return nil, err
	}

	if at.Client.Disabled || at.Client.IsLockedAt(s.Now()) || !at.Client.IsOAuthClient || !at.App.Enabled {
		return at, ErrClientNotAllowed
	}
	return at, nil
}

// clientAndRevocation returns the user with the id and whether the jti is
// revoked, in one query, because every bearer request needs both. It
// returns ErrNotFound when the user does not exist.
func (s *Store) clientAndRevocation(ctx context.Context, userID, jti string) (*User, bool, error) {
	if _, err := uuid.Parse(userID); err != nil {
		return nil, false, ErrNotFound
	}
	if jti == "" || len(jti) > maxJTILength {
		// IsJWTRevoked treats such a jti as never revoked.
		user, err := s.UserByID(ctx, userID)
		return user, false, err
	}
	var row struct {
		User    `gorm:"embedded"`
		Revoked bool
	}
	err := s.conn(ctx).Model(&User{}).
		Select("users.*, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?) AS revoked", jti).
		Where("users.id = ?", userID).
		Take(&row).Error
	if err != nil {
		return nil, false, mapError(err)
	}
	return &row.User, row.Revoked, nil
}

// accessTokenFromClaims checks that claims has what the token endpoint
// puts in every access token: sub, a single aud, jti, iat, exp and a
// scope string.
func accessTokenFromClaims(claims jwt.MapClaims) (*AccessToken, error) {
	subject, err := claims.GetSubject()
	if err != nil || subject == "" {
		return nil, errors.New("the token has no sub")
	}
	audience, err := claims.GetAudience()
	if err != nil || len(audience) != 1 || audience[0] == "" {
		return nil, errors.New("the token does not name exactly one audience")
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return nil, errors.New("the token has no jti")
	}
	scope, ok := claims["scope"].(string)
	if !ok {
		return nil, errors.New("the token has no scope")
	}
	issuedAt, err := claims.GetIssuedAt()
	if err != nil || issuedAt == nil {
		return nil, errors.New("the token has no iat")
	}
	expiresAt, err := claims.GetExpirationTime()
	if err != nil || expiresAt == nil {
		return nil, errors.New("the token has no exp")
	}

	scopes := []string{}
	for _, name := range strings.Split(scope, " ") {
		if name != "" {
			scopes = append(scopes, name)
		}
	}
	return &AccessToken{
		Claims:    claims,
		JTI:       jti,
		Scopes:    scopes,
		IssuedAt:  issuedAt.Time,
		ExpiresAt: expiresAt.Time,
	}, nil
}
