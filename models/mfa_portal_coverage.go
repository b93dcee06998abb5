package models

import (
	"context"
	"slices"
)

// ChallengeCoverage counts the administrators who can answer one
// challenge of a profile.
type ChallengeCoverage struct {
	// Mechanisms are the challenge's mechanisms, in profile order.
	Mechanisms []string
	// Administrators is the number of users who may sign in to the admin
	// portal, and NotEnrolled the number of them enrolled in none of the
	// challenge's mechanisms.
	Administrators int
	NotEnrolled    int
	// NotEnrolledIDs are the ids of those users.
	NotEnrolledIDs []string
}

// AdminChallengeCoverage counts, for each challenge of the profile, the
// administrators who are enrolled in none of its mechanisms and so could
// not finish an admin sign-in if the profile guarded the portal.
// Administrators are the users holding Admin Portal Login through their
// roles who are neither disabled, locked by an administrator nor service
// users. Temporary lockouts are ignored. It returns ErrNotFound for an
// unknown profile.
func (s *Store) AdminChallengeCoverage(ctx context.Context, profileID string) ([]ChallengeCoverage, error) {
	profile, err := s.AuthProfileByID(ctx, profileID)
	if err != nil {
		return nil, err
	}
	admins, err := s.portalAdministrators(ctx)
	if err != nil {
		return nil, err
	}
	var out []ChallengeCoverage
	for _, mechanisms := range profile.Challenges() {
		cov := ChallengeCoverage{Mechanisms: mechanisms, Administrators: len(admins)}
		for _, u := range admins {
			if !slices.ContainsFunc(mechanisms, func(m string) bool { return IsEnrolled(&u, m) }) {
				cov.NotEnrolled++
				cov.NotEnrolledIDs = append(cov.NotEnrolledIDs, u.ID)
			}
		}
		out = append(out, cov)
	}
	return out, nil
}

// portalAdministrators returns the users who may sign in to the admin
// portal. It walks down from the roles that grant Admin Portal Login to
// the roles nested in them, which gives the same users as RightsOf walking
// up from each user, in a few queries instead of a few per user.
func (s *Store) portalAdministrators(ctx context.Context) ([]User, error) {
	var roles []Role
	if err := s.conn(ctx).Find(&roles).Error; err != nil {
		return nil, err
	}
	granting := map[string]bool{RoleSysAdmin: true}
	for _, r := range roles {
		if slices.Contains(r.RightList(), RightAdminPortalLogin) {
			granting[r.ID] = true
		}
	}

	db := s.conn(ctx).Where("is_service_user = ? AND disabled = ? AND locked = ?", false, false, false)
	if !granting[RoleEverybody] {
		var nested []RoleMember
		if err := s.conn(ctx).Where("member_type = ?", PrincipalRole).Find(&nested).Error; err != nil {
			return nil, err
		}
		// Everybody's members are implicit, and RoleIDsOf never walks up
		// from it, so a role containing Everybody grants nothing through it.
		for range maxRoleDepth {
			grew := false
			for _, m := range nested {
				if granting[m.RoleID] && !granting[m.MemberID] && m.MemberID != RoleEverybody {
					granting[m.MemberID], grew = true, true
				}
			}
			if !grew {
				break
			}
		}
		ids := make([]string, 0, len(granting))
		for id := range granting {
			ids = append(ids, id)
		}
		members := s.conn(ctx).Model(&RoleMember{}).Select("member_id").Where("member_type = ? AND role_id IN ?", PrincipalUser, ids)
		db = db.Where("id IN (?)", members)
	}

	var users []User
	err := db.Order("login_name_key ASC").Find(&users).Error
	return users, err
}
