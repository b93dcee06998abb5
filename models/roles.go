package models

import (
	"context"
	"errors"
	"slices"
	"strings"

	"gorm.io/gorm/clause"
)

// RoleInput is a role as the role page submits it.
type RoleInput struct {
	Name        string
	Description string
	Rights      []string
}

func validateRole(in *RoleInput) ValidationErrors {
	var verrs ValidationErrors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		verrs.Add("name", "is required")
	} else if len(in.Name) > 200 {
		verrs.Add("name", "must be at most 200 characters")
	}
	if len(in.Description) > 2000 {
		verrs.Add("description", "must be at most 2000 characters")
	}
	for _, r := range in.Rights {
		if !slices.Contains(AllRights, r) {
			verrs.Add("rights", "unknown right "+r)
		}
	}
	return verrs
}

// CreateRole validates and stores a new role without checking anyone's
// rights. The portal and the admin API use CreateRoleAs.
func (s *Store) CreateRole(ctx context.Context, in RoleInput) (*Role, error) {
	if err := validateRole(&in).Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	role := &Role{
		ID:          NewID(),
		Name:        in.Name,
		NameKey:     NormalizeName(in.Name),
		Description: in.Description,
		Rights:      strings.Join(in.Rights, " "),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if err := s.conn(ctx).Create(role).Error; err != nil {
		if errors.Is(mapError(err), ErrConflict) {
			return nil, ValidationErrors{{Field: "name", Message: "a role with this name already exists"}}
		}
		return nil, err
	}
	return role, nil
}

// CreateRoleAs creates a role on behalf of actor, which may grant only
// rights it holds. A nil actor is the server itself.
func (s *Store) CreateRoleAs(ctx context.Context, actor *User, in RoleInput) (*Role, error) {
	if err := s.authorizeGrant(ctx, actor, in.Rights); err != nil {
		return nil, err
	}
	return s.CreateRole(ctx, in)
}

// RoleByID returns the role, or ErrNotFound.
func (s *Store) RoleByID(ctx context.Context, id string) (*Role, error) {
	if !validRoleID(id) {
		return nil, ErrNotFound
	}
	var role Role
	if err := s.conn(ctx).Where("id = ?", id).Take(&role).Error; err != nil {
		return nil, mapError(err)
	}
	return &role, nil
}

// ListRoles returns every role, built-in ones first, then by name.
func (s *Store) ListRoles(ctx context.Context) ([]Role, error) {
	var roles []Role
	err := s.conn(ctx).Order("built_in DESC, name_key ASC").Find(&roles).Error
	return roles, err
}

// UpdateRole saves a role's name, description and rights without checking
// anyone's rights. System Administrator keeps its name and every right;
// Everybody keeps its name. The portal and the admin API use UpdateRoleAs.
func (s *Store) UpdateRole(ctx context.Context, id string, in RoleInput) (*Role, error) {
	role, err := s.RoleByID(ctx, id)
	if err != nil {
		return nil, err
	}
	verrs := validateRole(&in)
	if role.BuiltIn && in.Name != role.Name {
		verrs.Add("name", "built-in roles cannot be renamed")
	}
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	rights := strings.Join(in.Rights, " ")
	if role.ID == RoleSysAdmin {
		rights = strings.Join(AllRights, " ")
	}
	res := s.conn(ctx).Model(&Role{}).Where("id = ?", id).Updates(map[string]any{
		"name":        in.Name,
		"name_key":    NormalizeName(in.Name),
		"description": in.Description,
		"rights":      rights,
		"updated_at":  s.Now(),
	})
	if res.Error != nil {
		if errors.Is(mapError(res.Error), ErrConflict) {
			return nil, ValidationErrors{{Field: "name", Message: "a role with this name already exists"}}
		}
		return nil, res.Error
	}
	return s.RoleByID(ctx, id)
}

// UpdateRoleAs saves a role on behalf of actor, which must hold every
// right that membership of the role confers now and every right it is
// given. A nil actor is the server itself.
func (s *Store) UpdateRoleAs(ctx context.Context, actor *User, id string, in RoleInput) (*Role, error) {
	role, err := s.RoleByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeRoleChange(ctx, actor, role, "change"); err != nil {
		return nil, err
	}
	if err := s.authorizeGrant(ctx, actor, in.Rights); err != nil {
		return nil, err
	}
	return s.UpdateRole(ctx, id, in)
}

// ErrBuiltInRole is returned for changes built-in roles do not allow.
var ErrBuiltInRole = errors.New("built-in roles cannot be deleted")

// DeleteRole deletes a role that is not built in, with its memberships and
// app permissions, without checking anyone's rights. Deleting a role
// nested in System Administrator is rejected when it would leave System
// Administrator without a member who can sign in. Call it inside a
// transaction, which that rejection rolls back. The portal and the admin API
// use DeleteRoleAs.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	role, err := s.RoleByID(ctx, id)
	if err != nil {
		return err
	}
	if role.BuiltIn {
		return ErrBuiltInRole
	}
	return s.keepAdminSeat(ctx, func() error {
		db := s.conn(ctx)
		if err := db.Where("member_type = ? AND member_id = ?", PrincipalRole, id).Delete(&RoleMember{}).Error; err != nil {
			return err
		}
		if err := db.Where("principal_type = ? AND principal_id = ?", PrincipalRole, id).Delete(&AppPermission{}).Error; err != nil {
			return err
		}
		return db.Where("id = ?", id).Delete(&Role{}).Error
	})
}

// DeleteRoleAs deletes a role on behalf of actor, which must hold every
// right that membership of the role confers. A nil actor is the server
// itself. Call it inside a transaction, as DeleteRole.
func (s *Store) DeleteRoleAs(ctx context.Context, actor *User, id string) error {
	role, err := s.RoleByID(ctx, id)
	if err != nil {
		return err
	}
	if role.BuiltIn {
		return ErrBuiltInRole
	}
	if err := s.authorizeRoleChange(ctx, actor, role, "delete"); err != nil {
		return err
	}
	return s.DeleteRole(ctx, id)
}

// ErrSysAdminMembership is returned when someone who is not a System
// Administrator tries to change the membership of that role or of a role
// nested in it.
var ErrSysAdminMembership error = &DeniedError{Reason: "Only members of System Administrator may change its membership."}

// checkMembershipChange enforces that only System Administrators change
// the membership of System Administrator and of the roles nested in it,
// whose members are System Administrators too, and that other actors hold
// every right that membership of the role confers. Everybody's membership
// is implicit.
func (s *Store) checkMembershipChange(ctx context.Context, actor *User, role *Role) error {
	if role.ID == RoleEverybody {
		return ValidationErrors{{Field: "member", Message: "Everybody contains every user who is not a service user; its membership cannot be edited"}}
	}
	_, inSysAdmin, err := s.roleGrants(ctx, role.ID)
	if err != nil {
		return err
	}
	if !inSysAdmin {
		return s.authorizeRoleChange(ctx, actor, role, "change the members of")
	}
	if actor == nil {
		return ErrSysAdminMembership
	}
	ok, err := s.IsSysAdmin(ctx, actor)
	if err != nil {
		return err
	}
	if !ok {
		return ErrSysAdminMembership
	}
	return nil
}

// AddRoleMember adds a user or role to a role on behalf of actor (nil for
// the system itself, which may not touch System Administrator). Adding a
// role that already contains this role is rejected, so nesting has no
// cycles. The actor must hold every right that membership of either role
// confers (see authz.go).
func (s *Store) AddRoleMember(ctx context.Context, actor *User, roleID, memberType, memberID string) error {
	role, err := s.RoleByID(ctx, roleID)
	if err != nil {
		return err
	}
	if err := s.checkMembershipChange(ctx, actor, role); err != nil {
		return err
	}
	if err := s.checkPrincipal(ctx, memberType, memberID); err != nil {
		return err
	}
	if memberType == PrincipalRole {
		if memberID == roleID || memberID == RoleEverybody {
			return ValidationErrors{{Field: "member", Message: "a role cannot contain itself or Everybody"}}
		}
		contains, err := s.roleContainsRole(ctx, memberID, roleID)
		if err != nil {
			return err
		}
		if contains {
			return ValidationErrors{{Field: "member", Message: "that role already contains this one; nesting it would make a cycle"}}
		}
		member, err := s.RoleByID(ctx, memberID)
		if err != nil {
			return err
		}
		if err := s.authorizeRoleChange(ctx, actor, member, "nest"); err != nil {
			return err
		}
	}
	// ON CONFLICT DO NOTHING keeps a repeated add from failing, and from
	// aborting the caller's transaction on PostgreSQL.
	m := RoleMember{RoleID: roleID, MemberType: memberType, MemberID: memberID}
	return s.conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error
}

// roleContainsRole reports whether outer contains inner, directly or
// through nested roles.
func (s *Store) roleContainsRole(ctx context.Context, outer, inner string) (bool, error) {
	frontier := []string{outer}
	seen := map[string]bool{outer: true}
	for depth := 0; len(frontier) > 0 && depth < maxRoleDepth; depth++ {
		var members []RoleMember
		if err := s.conn(ctx).Where("member_type = ? AND role_id IN ?", PrincipalRole, frontier).Find(&members).Error; err != nil {
			return false, err
		}
		frontier = nil
		for _, m := range members {
			if m.MemberID == inner {
				return true, nil
			}
			if !seen[m.MemberID] {
				seen[m.MemberID] = true
				frontier = append(frontier, m.MemberID)
			}
		}
	}
	return false, nil
}

// RemoveRoleMember removes a member from a role on behalf of actor, under
// the rules of AddRoleMember. Removing the last member of System
// Administrator who can sign in is rejected. Call it inside a transaction,
// which that rejection rolls back.
func (s *Store) RemoveRoleMember(ctx context.Context, actor *User, roleID, memberType, memberID string) error {
	role, err := s.RoleByID(ctx, roleID)
	if err != nil {
		return err
	}
	if err := s.checkMembershipChange(ctx, actor, role); err != nil {
		return err
	}
	return s.keepAdminSeat(ctx, func() error {
		res := s.conn(ctx).Where("role_id = ? AND member_type = ? AND member_id = ?", roleID, memberType, memberID).Delete(&RoleMember{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// RoleMemberEntry is a member with its display name.
type RoleMemberEntry struct {
	RoleMember
	Name string
}

// RoleMembers lists the direct members of a role.
func (s *Store) RoleMembers(ctx context.Context, roleID string) ([]RoleMemberEntry, error) {
	var members []RoleMember
	if err := s.conn(ctx).Where("role_id = ?", roleID).Order("member_type, member_id").Find(&members).Error; err != nil {
		return nil, err
	}
	out := make([]RoleMemberEntry, 0, len(members))
	for _, m := range members {
		out = append(out, RoleMemberEntry{RoleMember: m, Name: s.principalName(ctx, m.MemberType, m.MemberID)})
	}
	return out, nil
}

// RolesOfUser returns the roles the user belongs to directly, by name.
func (s *Store) RolesOfUser(ctx context.Context, userID string) ([]Role, error) {
	var roles []Role
	err := s.conn(ctx).
		Where("id IN (?)", s.conn(ctx).Model(&RoleMember{}).Select("role_id").Where("member_type = ? AND member_id = ?", PrincipalUser, userID)).
		Order("name_key ASC").Find(&roles).Error
	return roles, err
}
