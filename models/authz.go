package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The rules in this file decide which administrator may change which user
// or role. The admin portal and the admin API reach the store through the
// same methods, so both get the same decisions.
//
//   - A member of System Administrator, directly or through nested roles,
//     is changed only by a member. The same holds for the membership of
//     System Administrator and of the roles nested in it.
//   - An actor changes a user only when it holds every right that user
//     holds (RightsOf). Changing one's own account is always allowed.
//   - An actor grants only rights it holds, so a role it creates or edits
//     carries only those rights. It edits, deletes or changes the members
//     of a role only when it holds every right that membership of the role
//     confers.
//   - No change may take away the last member of System Administrator who
//     can sign in to the admin portal (see keepAdminSeat).
//
// The actor of a store method is the user named by Actor.UserID. An Actor
// without a user id, or a nil *User, is the server itself (bootstrap,
// command-line tools, test fixtures). It may change any user or role, but
// not the membership of System Administrator, and it is bound by the
// last rule.

// DeniedError is the error for a change that the acting user may not
// make. Reason is a complete sentence for that user, which the portal and
// the API show as is. It matches ErrForbidden.
type DeniedError struct {
	Reason string
}

func (e *DeniedError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrForbidden) true for every DeniedError.
func (e *DeniedError) Is(target error) bool { return target == ErrForbidden }

func denied(format string, args ...any) error {
	return &DeniedError{Reason: fmt.Sprintf(format, args...)}
}

// ErrLastAdministrator is returned for a change that would leave System
// Administrator without a member who can sign in to the admin portal.
var ErrLastAdministrator error = &DeniedError{
	Reason: "This change would leave System Administrator without an enabled member who can sign in to the admin portal. Add or enable another System Administrator first.",
}

// authority is the reach of an acting user: its rights and whether it is
// a member of System Administrator. A nil *authority is the server itself.
type authority struct {
	rights   map[string]bool
	sysAdmin bool
}

// authorityOf loads the rights of actor. A nil actor is the server itself
// and gets a nil authority.
func (s *Store) authorityOf(ctx context.Context, actor *User) (*authority, error) {
	if actor == nil {
		return nil, nil
	}
	rights, err := s.RightsOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	sysAdmin, err := s.IsSysAdmin(ctx, actor)
	if err != nil {
		return nil, err
	}
	return &authority{rights: rights, sysAdmin: sysAdmin}, nil
}

// unrestricted reports whether the actor may do anything the rules allow
// at all: the server itself and members of System Administrator.
func (a *authority) unrestricted() bool { return a == nil || a.sysAdmin }

// missing returns the rights in want that the actor does not hold, in the
// order of AllRights.
func (a *authority) missing(want map[string]bool) []string {
	var out []string
	for _, r := range AllRights {
		if want[r] && !a.rights[r] {
			out = append(out, r)
		}
	}
	return out
}

// rightNames joins the portal labels of rights for a message.
func rightNames(rights []string) string {
	labels := make([]string, 0, len(rights))
	for _, r := range rights {
		labels = append(labels, RightLabels[r])
	}
	return strings.Join(labels, ", ")
}

// actingUser loads the user behind actor, or returns nil for an actor
// without a user id. An id that names no user is rejected, so a deleted
// administrator's request cannot act as the server.
func (s *Store) actingUser(ctx context.Context, actor Actor) (*User, error) {
	if actor.UserID == "" {
		return nil, nil
	}
	u, err := s.UserByID(ctx, actor.UserID)
	if errors.Is(err, ErrNotFound) {
		return nil, denied("The account that made this request no longer exists.")
	}
	return u, err
}

// authorizeUserChange rejects a change of target unless actor is the target
// itself, a member of System Administrator, or, for a target outside
// System Administrator, holds every right the target holds.
func (s *Store) authorizeUserChange(ctx context.Context, actor Actor, target *User) error {
	user, err := s.actingUser(ctx, actor)
	if err != nil {
		return err
	}
	if user != nil && user.ID == target.ID {
		return nil
	}
	auth, err := s.authorityOf(ctx, user)
	if err != nil || auth.unrestricted() {
		return err
	}
	targetSysAdmin, err := s.IsSysAdmin(ctx, target)
	if err != nil {
		return err
	}
	if targetSysAdmin {
		return denied("Only members of System Administrator may change %s, because %s is a member of System Administrator.", target.LoginName, target.LoginName)
	}
	targetRights, err := s.RightsOf(ctx, target)
	if err != nil {
		return err
	}
	if lack := auth.missing(targetRights); len(lack) > 0 {
		return denied("You may not change %s, because %s holds rights you do not hold: %s.", target.LoginName, target.LoginName, rightNames(lack))
	}
	return nil
}

// CanChangeUser reports whether actor may change target under the rules
// above, with the reason when it may not.
func (s *Store) CanChangeUser(ctx context.Context, actor *User, target *User) (bool, string, error) {
	var who Actor
	if actor != nil {
		who.UserID = actor.ID
	}
	err := s.authorizeUserChange(ctx, who, target)
	var deny *DeniedError
	if errors.As(err, &deny) {
		return false, deny.Reason, nil
	}
	return err == nil, "", err
}

// authorizeGrant rejects rights the actor does not hold.
func (s *Store) authorizeGrant(ctx context.Context, actor *User, rights []string) error {
	auth, err := s.authorityOf(ctx, actor)
	if err != nil || auth.unrestricted() {
		return err
	}
	want := make(map[string]bool, len(rights))
	for _, r := range rights {
		want[r] = true
	}
	if lack := auth.missing(want); len(lack) > 0 {
		return denied("You may grant only rights you hold. You do not hold: %s.", rightNames(lack))
	}
	return nil
}

// authorizeRoleChange rejects a change of the role by actor unless actor
// holds every right that membership of the role confers. A role that is
// System Administrator or nested in it is left to members of System
// Administrator. what is the verb of the message, such as "delete".
func (s *Store) authorizeRoleChange(ctx context.Context, actor *User, role *Role, what string) error {
	auth, err := s.authorityOf(ctx, actor)
	if err != nil || auth.unrestricted() {
		return err
	}
	rights, inSysAdmin, err := s.roleGrants(ctx, role.ID)
	if err != nil {
		return err
	}
	if inSysAdmin {
		return denied("Only members of System Administrator may %s the role %s, because its members are members of System Administrator.", what, role.Name)
	}
	if lack := auth.missing(rights); len(lack) > 0 {
		return denied("You may not %s the role %s, because its members get rights you do not hold: %s.", what, role.Name, rightNames(lack))
	}
	return nil
}

// roleGrants returns the rights that membership of the role confers: its
// own and those of every role that contains it, directly or through
// nesting. inSysAdmin is true when the role is System Administrator or
// nested in it, whose members hold every right.
func (s *Store) roleGrants(ctx context.Context, roleID string) (rights map[string]bool, inSysAdmin bool, err error) {
	ids := []string{roleID}
	seen := map[string]bool{roleID: true}
	frontier := []string{roleID}
	for depth := 0; len(frontier) > 0 && depth < maxRoleDepth; depth++ {
		var parents []RoleMember
		if err := s.conn(ctx).Where("member_type = ? AND member_id IN ?", PrincipalRole, frontier).Find(&parents).Error; err != nil {
			return nil, false, err
		}
		frontier = nil
		for _, m := range parents {
			if !seen[m.RoleID] {
				seen[m.RoleID] = true
				ids = append(ids, m.RoleID)
				frontier = append(frontier, m.RoleID)
			}
		}
	}

	rights = map[string]bool{}
	if seen[RoleSysAdmin] {
		for _, r := range AllRights {
			rights[r] = true
		}
		return rights, true, nil
	}
	var roles []Role
	if err := s.conn(ctx).Where("id IN ?", ids).Find(&roles).Error; err != nil {
		return nil, false, err
	}
	for _, role := range roles {
		for _, r := range role.RightList() {
			rights[r] = true
		}
	}
	return rights, false, nil
}

// nestedRoleIDs returns the role and every role nested in it.
func (s *Store) nestedRoleIDs(ctx context.Context, outer string) ([]string, error) {
	ids := []string{outer}
	seen := map[string]bool{outer: true}
	frontier := []string{outer}
	for depth := 0; len(frontier) > 0 && depth < maxRoleDepth; depth++ {
		var members []RoleMember
		if err := s.conn(ctx).Where("member_type = ? AND role_id IN ?", PrincipalRole, frontier).Find(&members).Error; err != nil {
			return nil, err
		}
		frontier = nil
		for _, m := range members {
			if !seen[m.MemberID] {
				seen[m.MemberID] = true
				ids = append(ids, m.MemberID)
				frontier = append(frontier, m.MemberID)
			}
		}
	}
	return ids, nil
}

// keepAdminSeat runs change and rejects it with ErrLastAdministrator when
// it leaves System Administrator without a member who can sign in to the
// admin portal. Run it inside the transaction of the change, so the
// rejection rolls the change back. A database that had no such member
// before the change is not blocked, because that change did not cause
// the gap.
func (s *Store) keepAdminSeat(ctx context.Context, change func() error) error {
	before, err := s.adminSeats(ctx)
	if err != nil {
		return err
	}
	if err := change(); err != nil {
		return err
	}
	if before == 0 {
		return nil
	}
	after, err := s.adminSeats(ctx)
	if err != nil {
		return err
	}
	if after == 0 {
		return ErrLastAdministrator
	}
	return nil
}

// adminSeats counts the members of System Administrator, direct or
// through nested roles, who can sign in to the admin portal: not
// disabled, not locked by an administrator and not service users. A
// lockout after wrong passwords ends by itself, so it does not count.
func (s *Store) adminSeats(ctx context.Context) (int64, error) {
	roleIDs, err := s.nestedRoleIDs(ctx, RoleSysAdmin)
	if err != nil {
		return 0, err
	}
	members := s.conn(ctx).Model(&RoleMember{}).Select("member_id").
		Where("member_type = ? AND role_id IN ?", PrincipalUser, roleIDs)
	var n int64
	err = s.conn(ctx).Model(&User{}).
		Where("id IN (?) AND disabled = ? AND locked = ? AND is_service_user = ?", members, false, false, false).
		Count(&n).Error
	return n, err
}

// recordDenial stores a failure audit event for a change that err rejected
// (any error matching ErrForbidden) and returns err. The change's
// transaction has rolled back by then, so the event is written on its own.
// A store inside a caller's transaction writes nothing, because the event
// would roll back too. Audited records it once that transaction ends.
func (s *Store) recordDenial(ctx context.Context, actor Actor, e AuditEntry, err error) error {
	if err == nil || !errors.Is(err, ErrForbidden) || s.inTx {
		return err
	}
	e.Outcome = OutcomeFailure
	e.Details = strings.TrimSpace(e.Details + " denied: " + err.Error())
	if auditErr := s.RecordAudit(ctx, actor, e); auditErr != nil {
		s.Log.ErrorContext(ctx, "recording a denied change failed",
			"error", auditErr, "action", e.Action, "user_id", actor.UserID, "request_id", actor.RequestID)
	}
	return err
}
