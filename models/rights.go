package models

import (
	"context"
	"slices"
)

// maxRoleDepth bounds the walk through roles nested in roles, so a cycle
// created by a bad import cannot loop forever.
const maxRoleDepth = 16

// RoleIDsOf returns the ids of every role the user belongs to, directly or
// through roles nested in roles. Everybody is included for non-service users.
func (s *Store) RoleIDsOf(ctx context.Context, user *User) ([]string, error) {
	return cachedState(s, "role_ids:"+principalKey(user), func() ([]string, error) {
		return s.loadRoleIDsOf(ctx, user)
	}, cloneSlice[string])
}

// principalKey names the user in state cache keys. The service user flag
// is part of it because it decides membership of Everybody.
func principalKey(user *User) string {
	if user.IsServiceUser {
		return "service:" + user.ID
	}
	return "user:" + user.ID
}

func (s *Store) loadRoleIDsOf(ctx context.Context, user *User) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	if !user.IsServiceUser {
		seen[RoleEverybody] = true
		ids = append(ids, RoleEverybody)
	}

	frontier := []RoleMember{}
	if err := s.conn(ctx).Where("member_type = ? AND member_id = ?", PrincipalUser, user.ID).Find(&frontier).Error; err != nil {
		return nil, err
	}
	for depth := 0; len(frontier) > 0 && depth < maxRoleDepth; depth++ {
		var next []string
		for _, m := range frontier {
			if !seen[m.RoleID] {
				seen[m.RoleID] = true
				ids = append(ids, m.RoleID)
				next = append(next, m.RoleID)
			}
		}
		if len(next) == 0 {
			break
		}
		frontier = nil
		if err := s.conn(ctx).Where("member_type = ? AND member_id IN ?", PrincipalRole, next).Find(&frontier).Error; err != nil {
			return nil, err
		}
	}
	if seen[RoleEverybody] && !slices.Contains(ids, RoleEverybody) {
		ids = append(ids, RoleEverybody)
	}
	return ids, nil
}

// RightsOf returns the set of administrative rights the user holds through
// its roles. Members of System Administrator hold every right.
func (s *Store) RightsOf(ctx context.Context, user *User) (map[string]bool, error) {
	return cachedState(s, "rights:"+principalKey(user), func() (map[string]bool, error) {
		return s.loadRightsOf(ctx, user)
	}, cloneRights)
}

func (s *Store) loadRightsOf(ctx context.Context, user *User) (map[string]bool, error) {
	roleIDs, err := s.RoleIDsOf(ctx, user)
	if err != nil {
		return nil, err
	}
	rights := map[string]bool{}
	if slices.Contains(roleIDs, RoleSysAdmin) {
		for _, r := range AllRights {
			rights[r] = true
		}
		return rights, nil
	}
	var roles []Role
	if err := s.conn(ctx).Where("id IN ?", roleIDs).Find(&roles).Error; err != nil {
		return nil, err
	}
	for _, role := range roles {
		for _, r := range role.RightList() {
			rights[r] = true
		}
	}
	return rights, nil
}

// HasRight reports whether the user holds the right.
func (s *Store) HasRight(ctx context.Context, user *User, right string) (bool, error) {
	rights, err := s.RightsOf(ctx, user)
	if err != nil {
		return false, err
	}
	return rights[right], nil
}

// IsSysAdmin reports whether the user is a member of System Administrator.
func (s *Store) IsSysAdmin(ctx context.Context, user *User) (bool, error) {
	roleIDs, err := s.RoleIDsOf(ctx, user)
	if err != nil {
		return false, err
	}
	return slices.Contains(roleIDs, RoleSysAdmin), nil
}

// AppRights is what a user may do with an app, through its own
// permission entry and those of its roles.
type AppRights struct {
	Grant, View, Run bool
}

// AppRightsOf returns the user's rights on the app.
func (s *Store) AppRightsOf(ctx context.Context, user *User, appID string) (AppRights, error) {
	return cachedState(s, "app_rights:"+appID+":"+principalKey(user), func() (AppRights, error) {
		return s.loadAppRightsOf(ctx, user, appID)
	}, identity[AppRights])
}

func (s *Store) loadAppRightsOf(ctx context.Context, user *User, appID string) (AppRights, error) {
	roleIDs, err := s.RoleIDsOf(ctx, user)
	if err != nil {
		return AppRights{}, err
	}
	var perms []AppPermission
	err = s.conn(ctx).
		Where("app_id = ? AND ((principal_type = ? AND principal_id = ?) OR (principal_type = ? AND principal_id IN ?))",
			appID, PrincipalUser, user.ID, PrincipalRole, roleIDs).
		Find(&perms).Error
	if err != nil {
		return AppRights{}, err
	}
	var out AppRights
	for _, p := range perms {
		out.Grant = out.Grant || p.CanGrant
		out.View = out.View || p.CanView
		out.Run = out.Run || p.CanRun
	}
	return out, nil
}
