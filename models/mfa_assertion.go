package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// ErrInvalidJTI is the error for a jti that is empty or longer than
// maxJTILength.
var ErrInvalidJTI = fmt.Errorf("jti is missing or longer than %d bytes", maxJTILength)

// ConsumeAssertionJTI records the jti of a launch assertion as used until
// expiresAt, the assertion's exp, and returns ErrTokenUsed when it was
// recorded before. It shares the table of RevokeJWT, because a used
// assertion must be rejected like a revoked token, and DeleteExpired
// removes the record after exp, when the assertion fails its expiry check
// anyway. The INSERT itself decides, so of two concurrent calls with one
// jti, on any number of instances, exactly one succeeds.
func (s *Store) ConsumeAssertionJTI(ctx context.Context, jti string, expiresAt time.Time) error {
	if jti == "" || len(jti) > maxJTILength {
		return ErrInvalidJTI
	}
	row := RevokedToken{JTI: jti, ExpiresAt: expiresAt.UTC()}
	res := s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrTokenUsed
	}
	return nil
}
