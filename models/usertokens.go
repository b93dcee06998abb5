package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"gorm.io/gorm/clause"
)

// UserTokenTTL is the lifetime of an icbt token.
const UserTokenTTL = 10 * time.Minute

// Errors of ConsumeUserToken. Callers show one page for all of them but
// log which one happened.
var (
	ErrTokenExpired = errors.New("token expired")
	ErrTokenUsed    = errors.New("token already used")
)

// MintUserToken creates an icbt token for the user: 256 random bits,
// returned once in clear and stored only as its SHA-256 hash.
func (s *Store) MintUserToken(ctx context.Context, user *User, clientID, sourceIP string) (string, *UserToken, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.Now()
	ut := &UserToken{
		TokenHash: HashToken(token),
		UserID:    user.ID,
		ClientID:  clientID,
		SourceIP:  sourceIP,
		CreatedAt: now,
		ExpiresAt: now.Add(UserTokenTTL),
	}
	if err := s.conn(ctx).Create(ut).Error; err != nil {
		return "", nil, err
	}
	return token, ut, nil
}

// maxUserTokenLength rejects absurd inputs before hashing them.
const maxUserTokenLength = 256

// ConsumeUserToken marks the icbt token used and returns it. It succeeds
// once per token: the UPDATE matches only an unused, unexpired row, so two
// concurrent requests cannot both consume it. Use it inside InTx with the
// work the token pays for, so a failure there leaves the token unused.
func (s *Store) ConsumeUserToken(ctx context.Context, token string) (*UserToken, error) {
	if token == "" || len(token) > maxUserTokenLength {
		return nil, ErrNotFound
	}
	hash := HashToken(token)
	now := s.Now()
	// RETURNING (SQLite 3.35 and PostgreSQL) hands back the consumed row,
	// so the usual case is one statement.
	var consumed UserToken
	res := s.conn(ctx).Model(&consumed).Clauses(clause.Returning{}).
		Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", hash, now).
		Update("used_at", now)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 1 {
		return &consumed, nil
	}

	var ut UserToken
	if err := s.conn(ctx).Where("token_hash = ?", hash).Take(&ut).Error; err != nil {
		return nil, mapError(err)
	}
	if !now.Before(ut.ExpiresAt) {
		return nil, ErrTokenExpired
	}
	return nil, ErrTokenUsed
}
