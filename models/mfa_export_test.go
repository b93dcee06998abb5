package models

import "context"

// UpdateUserForTest writes user columns directly, for tests that need a
// disabled or locked user without the admin functions.
func (s *Store) UpdateUserForTest(ctx context.Context, userID string, changes map[string]any) error {
	return s.conn(ctx).Model(&User{}).Where("id = ?", userID).Updates(changes).Error
}
