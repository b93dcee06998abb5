package models_test

import (
	"context"
	"slices"
	"testing"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestAdminChallengeCoverage(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		newUser := func(in models.NewUser) *models.User {
			t.Helper()
			in.LoginName, in.Password = modeltest.Name("coverage"), "password-0001"
			u, err := s.CreateUser(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		root, err := s.UserByLoginName(ctx, models.BootstrapAdminName)
		if err != nil {
			t.Fatal(err)
		}
		addMember := func(roleID, memberType, memberID string) {
			t.Helper()
			if err := s.AddRoleMember(ctx, root, roleID, memberType, memberID); err != nil {
				t.Fatal(err)
			}
		}
		mfatest.EnrollUser(t, s, root.ID, models.MechOATH)

		portalRole, err := s.CreateRole(ctx, models.RoleInput{Name: "Portal users", Rights: []string{models.RightAdminPortalLogin}})
		if err != nil {
			t.Fatal(err)
		}
		nested, err := s.CreateRole(ctx, models.RoleInput{Name: "Nested"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateRole(ctx, models.RoleInput{Name: "Auditors", Rights: []string{models.RightAuditRead}})
		if err != nil {
			t.Fatal(err)
		}
		addMember(portalRole.ID, models.PrincipalRole, nested.ID)

		direct := newUser(models.NewUser{})
		addMember(portalRole.ID, models.PrincipalUser, direct.ID)
		throughNested := newUser(models.NewUser{})
		addMember(nested.ID, models.PrincipalUser, throughNested.ID)
		mfatest.EnrollUser(t, s, throughNested.ID, models.MechSMS)
		auditor := newUser(models.NewUser{})
		addMember(other.ID, models.PrincipalUser, auditor.ID)
		disabled := newUser(models.NewUser{})
		addMember(portalRole.ID, models.PrincipalUser, disabled.ID)
		if err := s.SetUserDisabled(ctx, models.Actor{}, disabled.ID, true); err != nil {
			t.Fatal(err)
		}
		service := newUser(models.NewUser{IsServiceUser: true})
		addMember(models.RoleSysAdmin, models.PrincipalUser, service.ID)

		profile, err := s.CreateAuthProfile(ctx, models.AuthProfileInput{Name: "Admins", Challenges: [][]string{
			{models.MechPassword}, {models.MechOATH, models.MechSMS}, {models.MechOATH},
		}})
		if err != nil {
			t.Fatal(err)
		}
		coverage, err := s.AdminChallengeCoverage(ctx, profile.ID)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name        string
			notEnrolled []string
		}{
			{"password challenge", nil},
			{"OTP or SMS challenge", []string{direct.ID}},
			{"OTP challenge", []string{direct.ID, throughNested.ID}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cov := coverage[i]
				if cov.Administrators != 3 {
					t.Errorf("%d administrators, want 3 (root, direct, nested)", cov.Administrators)
				}
				got := slices.Sorted(slices.Values(cov.NotEnrolledIDs))
				want := slices.Sorted(slices.Values(tt.notEnrolled))
				if cov.NotEnrolled != len(want) || !slices.Equal(got, want) {
					t.Errorf("not enrolled %v (%d), want %v", got, cov.NotEnrolled, want)
				}
			})
		}

		t.Run("Everybody holding the right", func(t *testing.T) {
			if _, err := s.UpdateRole(ctx, models.RoleEverybody, models.RoleInput{Name: "Everybody", Rights: []string{models.RightAdminPortalLogin}}); err != nil {
				t.Fatal(err)
			}
			coverage, err := s.AdminChallengeCoverage(ctx, profile.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := coverage[0].Administrators; got != 4 {
				t.Errorf("%d administrators, want 4 (every enabled person)", got)
			}
		})
	})
}
