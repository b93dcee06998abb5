package models

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// AuthProfileInput is an authentication profile as its page submits it.
type AuthProfileInput struct {
	Name string
	// Challenges holds up to MaxChallenges sets of mechanism ids, in order.
	// Empty sets are dropped, so the remaining ones close up.
	Challenges [][]string
	// PassThroughMinutes is the period after a user passes a challenge for
	// an app during which /run does not ask that challenge again for that
	// user and app.
	PassThroughMinutes int
}

func validateAuthProfile(in *AuthProfileInput) ([]string, ValidationErrors) {
	var verrs ValidationErrors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		verrs.Add("name", "is required")
	} else if len(in.Name) > 200 {
		verrs.Add("name", "must be at most 200 characters")
	}
	var challenges []string
	for i, set := range in.Challenges {
		var mechs []string
		for _, m := range set {
			if !slices.Contains(AllMechanisms, m) {
				verrs.Add("challenge"+string(rune('1'+i)), "unknown mechanism "+m)
				continue
			}
			if !slices.Contains(mechs, m) {
				mechs = append(mechs, m)
			}
		}
		if len(mechs) > 0 {
			challenges = append(challenges, strings.Join(mechs, " "))
		}
	}
	if len(challenges) > MaxChallenges {
		verrs.Add("challenges", "at most 3 challenges")
	}
	if in.PassThroughMinutes < 0 || in.PassThroughMinutes > 7*24*60 {
		verrs.Add("pass_through_minutes", "must be between 0 and 10080 minutes (7 days)")
	}
	for len(challenges) < MaxChallenges {
		challenges = append(challenges, "")
	}
	return challenges, verrs
}

// CreateAuthProfile validates and stores a new profile.
func (s *Store) CreateAuthProfile(ctx context.Context, in AuthProfileInput) (*AuthProfile, error) {
	challenges, verrs := validateAuthProfile(&in)
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	p := &AuthProfile{
		ID:                 NewID(),
		Name:               in.Name,
		NameKey:            NormalizeName(in.Name),
		Challenge1:         challenges[0],
		Challenge2:         challenges[1],
		Challenge3:         challenges[2],
		PassThroughMinutes: in.PassThroughMinutes,
		CreatedAt:          now,
		UpdatedAt:          now,
	}
	if err := s.conn(ctx).Create(p).Error; err != nil {
		if errors.Is(mapError(err), ErrConflict) {
			return nil, ValidationErrors{{Field: "name", Message: "a profile with this name already exists"}}
		}
		return nil, err
	}
	return p, nil
}

// UpdateAuthProfile replaces a profile's settings.
func (s *Store) UpdateAuthProfile(ctx context.Context, id string, in AuthProfileInput) (*AuthProfile, error) {
	if _, err := s.AuthProfileByID(ctx, id); err != nil {
		return nil, err
	}
	challenges, verrs := validateAuthProfile(&in)
	if err := verrs.Err(); err != nil {
		return nil, err
	}
	res := s.conn(ctx).Model(&AuthProfile{}).Where("id = ?", id).Updates(map[string]any{
		"name":                 in.Name,
		"name_key":             NormalizeName(in.Name),
		"challenge1":           challenges[0],
		"challenge2":           challenges[1],
		"challenge3":           challenges[2],
		"pass_through_minutes": in.PassThroughMinutes,
		"updated_at":           s.Now(),
	})
	if res.Error != nil {
		if errors.Is(mapError(res.Error), ErrConflict) {
			return nil, ValidationErrors{{Field: "name", Message: "a profile with this name already exists"}}
		}
		return nil, res.Error
	}
	return s.AuthProfileByID(ctx, id)
}

// AuthProfileByID returns the profile, or ErrNotFound.
func (s *Store) AuthProfileByID(ctx context.Context, id string) (*AuthProfile, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, ErrNotFound
	}
	return cachedState(s, "auth_profile:"+id, func() (*AuthProfile, error) {
		var p AuthProfile
		if err := s.conn(ctx).Where("id = ?", id).Take(&p).Error; err != nil {
			return nil, mapError(err)
		}
		return &p, nil
	}, cloneAuthProfile)
}

// ListAuthProfiles returns every profile by name.
func (s *Store) ListAuthProfiles(ctx context.Context) ([]AuthProfile, error) {
	var out []AuthProfile
	err := s.conn(ctx).Order("name_key ASC").Find(&out).Error
	return out, err
}

// DeleteAuthProfile deletes a profile. Apps using it fall back to no
// profile (the foreign key sets it to NULL).
func (s *Store) DeleteAuthProfile(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrNotFound
	}
	res := s.conn(ctx).Where("id = ?", id).Delete(&AuthProfile{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Setting keys kept in the settings table.
const (
	SettingAdminPortalProfile = "admin_portal_auth_profile"
	SettingUserPortalProfile  = "user_portal_auth_profile"
)

// GetSetting returns a setting's value, or "" when unset.
func (s *Store) GetSetting(ctx context.Context, key string) (string, error) {
	var st Setting
	err := s.conn(ctx).Where("key = ?", key).Take(&st).Error
	if errors.Is(mapError(err), ErrNotFound) {
		return "", nil
	}
	return st.Value, err
}

// SetSetting stores a setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.conn(ctx).Save(&Setting{Key: key, Value: value}).Error
}
