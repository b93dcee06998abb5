package models

import "context"

// UpdateUserForTest writes user columns directly, for tests that need a
// disabled or locked user without the admin functions.
func (s *Store) UpdateUserForTest(ctx context.Context, userID string, changes map[string]any) error {
	return s.conn(ctx).Model(&User{}).Where("id = ?", userID).Updates(changes).Error
}

// MFASessionCodesForTest returns the code rows of the MFA session of the
// token, for tests that check what is stored.
func (s *Store) MFASessionCodesForTest(ctx context.Context, token string) ([]MFASessionCode, error) {
	var rows []MFASessionCode
	err := s.conn(ctx).Where("session_id = ?", HashToken(token)).Find(&rows).Error
	return rows, err
}
