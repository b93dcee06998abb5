package models

import (
	"context"
	"errors"

	"github.com/google/uuid"
)

// PermissionInput grants a principal rights on an app.
type PermissionInput struct {
	PrincipalType string // PrincipalUser or PrincipalRole
	PrincipalID   string
	Grant         bool
	View          bool
	Run           bool
}

// SetAppPermission adds or replaces the principal's rights on the app,
// without checking anyone's rights. All three rights are written, so
// unticking one saves it as false. The portal and the admin API use
// SetAppPermissionAs.
func (s *Store) SetAppPermission(ctx context.Context, appID string, in PermissionInput) error {
	if _, err := s.AppByID(ctx, appID); err != nil {
		return err
	}
	if err := s.checkPrincipal(ctx, in.PrincipalType, in.PrincipalID); err != nil {
		return err
	}
	perm := AppPermission{
		AppID:         appID,
		PrincipalType: in.PrincipalType,
		PrincipalID:   in.PrincipalID,
		CanGrant:      in.Grant,
		CanView:       in.View,
		CanRun:        in.Run,
	}
	return s.conn(ctx).Save(&perm).Error
}

// SetAppPermissionAs sets a permission entry on behalf of actor. Giving
// the Grant right on an app needs Application Management, the right to
// change the permissions of every app. A nil actor is the server itself.
func (s *Store) SetAppPermissionAs(ctx context.Context, actor *User, appID string, in PermissionInput) error {
	if in.Grant {
		if err := s.authorizeGrant(ctx, actor, []string{RightApplicationManagement}); err != nil {
			return err
		}
	}
	return s.SetAppPermission(ctx, appID, in)
}

// RemoveAppPermission removes the principal's entry from the app.
func (s *Store) RemoveAppPermission(ctx context.Context, appID, principalType, principalID string) error {
	res := s.conn(ctx).Where("app_id = ? AND principal_type = ? AND principal_id = ?", appID, principalType, principalID).Delete(&AppPermission{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// AppPermissionEntry is a permission with the principal's display name.
type AppPermissionEntry struct {
	AppPermission
	PrincipalName string
}

// AppPermissionsOf lists the app's permission entries with names.
func (s *Store) AppPermissionsOf(ctx context.Context, appID string) ([]AppPermissionEntry, error) {
	var perms []AppPermission
	if err := s.conn(ctx).Where("app_id = ?", appID).Order("principal_type, principal_id").Find(&perms).Error; err != nil {
		return nil, err
	}
	out := make([]AppPermissionEntry, 0, len(perms))
	for _, p := range perms {
		out = append(out, AppPermissionEntry{AppPermission: p, PrincipalName: s.principalName(ctx, p.PrincipalType, p.PrincipalID)})
	}
	return out, nil
}

// checkPrincipal returns a field error unless the user or role exists.
func (s *Store) checkPrincipal(ctx context.Context, principalType, principalID string) error {
	var err error
	switch principalType {
	case PrincipalUser:
		_, err = s.UserByID(ctx, principalID)
	case PrincipalRole:
		_, err = s.RoleByID(ctx, principalID)
	default:
		return ValidationErrors{{Field: "principal_type", Message: "must be user or role"}}
	}
	if errors.Is(err, ErrNotFound) {
		return ValidationErrors{{Field: "principal_id", Message: "no such " + principalType}}
	}
	return err
}

func (s *Store) principalName(ctx context.Context, principalType, principalID string) string {
	switch principalType {
	case PrincipalUser:
		if u, err := s.UserByID(ctx, principalID); err == nil {
			return u.LoginName
		}
	case PrincipalRole:
		if r, err := s.RoleByID(ctx, principalID); err == nil {
			return r.Name
		}
	}
	return principalID
}

// validRoleID accepts the built-in role ids and UUIDs.
func validRoleID(id string) bool {
	if id == RoleSysAdmin || id == RoleEverybody {
		return true
	}
	_, err := uuid.Parse(id)
	return err == nil
}
