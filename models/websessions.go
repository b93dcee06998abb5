package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// HashToken returns the hex SHA-256 of an opaque token. Session ids, icbt
// tokens and MFA session ids are stored only in this form.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WebSessionByToken returns the live session whose cookie value is token,
// or ErrNotFound when it does not exist or has expired.
func (s *Store) WebSessionByToken(ctx context.Context, kind, token string) (*WebSession, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	var ws WebSession
	err := s.conn(ctx).Where("id = ? AND kind = ? AND expires_at > ?", HashToken(token), kind, s.Now()).Take(&ws).Error
	if err != nil {
		return nil, mapError(err)
	}
	return &ws, nil
}

// SaveWebSession inserts or updates the session row for token.
func (s *Store) SaveWebSession(ctx context.Context, token string, ws *WebSession) error {
	ws.ID = HashToken(token)
	return s.conn(ctx).Save(ws).Error
}

// CreateWebSession inserts the row of a session whose token is new. It is
// one INSERT, where SaveWebSession first tries an UPDATE.
func (s *Store) CreateWebSession(ctx context.Context, token string, ws *WebSession) error {
	ws.ID = HashToken(token)
	return s.conn(ctx).Create(ws).Error
}

// DeleteWebSession removes the session for token. Deleting a missing
// session is not an error.
func (s *Store) DeleteWebSession(ctx context.Context, token string) error {
	return s.conn(ctx).Where("id = ?", HashToken(token)).Delete(&WebSession{}).Error
}

// DeleteUserWebSessions signs the user out everywhere, for example after a
// password reset, lock or disable.
func (s *Store) DeleteUserWebSessions(ctx context.Context, userID string) error {
	return s.conn(ctx).Where("user_id = ?", userID).Delete(&WebSession{}).Error
}

// DeleteExpired removes expired sessions, tokens and old failure records.
// It is safe to run on several instances at once.
func (s *Store) DeleteExpired(ctx context.Context) error {
	now := s.Now()
	db := s.conn(ctx)
	for _, q := range []struct {
		model any
		where string
		arg   time.Time
	}{
		{&WebSession{}, "expires_at < ?", now},
		{&UserToken{}, "expires_at < ?", now.Add(-24 * time.Hour)},
		{&MFASession{}, "expires_at < ?", now.Add(-24 * time.Hour)},
		{&MFAFailure{}, "at < ?", now.Add(-24 * time.Hour)},
		{&RevokedToken{}, "expires_at < ?", now},
	} {
		if err := db.Where(q.where, q.arg).Delete(q.model).Error; err != nil {
			return err
		}
	}
	return nil
}
