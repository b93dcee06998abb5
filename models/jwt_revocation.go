package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// maxJTILength bounds the jti values stored and looked up. Ours are UUIDs.
const maxJTILength = 128

// RevokeJWT records that the access token with the jti is revoked. The
// record is kept until expiresAt, the token's exp, after which the token
// is rejected anyway; DeleteExpired removes it then. Revoking a jti twice
// is not an error.
func (s *Store) RevokeJWT(ctx context.Context, jti string, expiresAt time.Time) error {
	if jti == "" || len(jti) > maxJTILength {
		return nil
	}
	row := RevokedToken{JTI: jti, ExpiresAt: expiresAt.UTC()}
	return s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
}

// IsJWTRevoked reports whether the access token with the jti was revoked.
func (s *Store) IsJWTRevoked(ctx context.Context, jti string) (bool, error) {
	if jti == "" || len(jti) > maxJTILength {
		return false, nil
	}
	var n int64
	err := s.conn(ctx).Model(&RevokedToken{}).Where("jti = ?", jti).Count(&n).Error
	return n > 0, err
}
