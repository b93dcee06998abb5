package models

import (
	"context"
	"fmt"
)

// bulkBatchSize is the number of rows per INSERT in CreateUsersBulk; it
// keeps each statement under SQLite's and PostgreSQL's parameter limits.
const bulkBatchSize = 500

// CreateUsersBulk inserts count ordinary users named prefix-NNNNNNN@suffix,
// all with the same precomputed password hash, starting after the highest
// number already present. It exists for load tests that measure cost
// against database size; the portal creates users one at a time.
func (s *Store) CreateUsersBulk(ctx context.Context, prefix, suffix string, count int, passwordHash string) (int, error) {
	var existing int64
	pattern := NormalizeLoginName(prefix) + "-%"
	if err := s.conn(ctx).Model(&User{}).Where("login_name_key LIKE ?", pattern).Count(&existing).Error; err != nil {
		return 0, err
	}
	created := 0
	for created < count {
		n := min(bulkBatchSize, count-created)
		batch := make([]User, 0, n)
		now := s.Now()
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("%s-%07d@%s", prefix, int(existing)+created+i+1, suffix)
			batch = append(batch, User{
				ID:                NewID(),
				LoginName:         name,
				LoginNameKey:      NormalizeLoginName(name),
				DisplayName:       name,
				PasswordHash:      passwordHash,
				PasswordChangedAt: &now,
				CreatedAt:         now,
				UpdatedAt:         now,
			})
		}
		if err := s.conn(ctx).Create(&batch).Error; err != nil {
			return created, fmt.Errorf("insert users: %w", mapError(err))
		}
		created += n
	}
	return created, nil
}
