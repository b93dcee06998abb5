package models

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// MFAPass is the last time a user passed one challenge of a profile for
// an app. Within the profile's pass-through duration, /run does not ask
// that challenge again for that user and app. A pass is tied to the
// challenge's position and its set of mechanisms, so editing the
// challenge asks it again.
type MFAPass struct {
	UserID         string `gorm:"primaryKey"`
	AppID          string `gorm:"primaryKey"`
	ProfileID      string `gorm:"primaryKey"`
	ChallengeIndex int    `gorm:"primaryKey"`
	// Mechanisms is challengeKey of the challenge when it passed.
	Mechanisms string
	// Mechanism is the one the user answered with.
	Mechanism string
	PassedAt  time.Time
}

// challengeKey identifies a challenge by its set of mechanisms, whatever
// their order.
func challengeKey(mechanisms []string) string {
	return strings.Join(slices.Sorted(slices.Values(mechanisms)), ",")
}

// passThroughEntry is one entry of MFASession.PassedThrough: the 0-based
// index of a skipped challenge and its challengeKey.
func passThroughEntry(index int, mechanisms []string) string {
	return strconv.Itoa(index) + ":" + challengeKey(mechanisms)
}

// passedThrough returns which challenges of the profile the user may skip
// for the app at now, as MFASession.PassedThrough entries, and the
// earliest pass they rely on. It returns nothing when the profile's
// pass-through duration is 0.
func (s *Store) passedThrough(ctx context.Context, userID, appID string, profile *AuthProfile, now time.Time) (string, *time.Time, error) {
	if profile == nil || profile.PassThroughMinutes <= 0 {
		return "", nil, nil
	}
	since := now.Add(-time.Duration(profile.PassThroughMinutes) * time.Minute)
	var passes []MFAPass
	err := s.conn(ctx).Where("user_id = ? AND app_id = ? AND profile_id = ? AND passed_at > ?", userID, appID, profile.ID, since).
		Find(&passes).Error
	if err != nil {
		return "", nil, err
	}

	challenges := profile.Challenges()
	var entries []string
	var earliest *time.Time
	for _, pass := range passes {
		if pass.ChallengeIndex >= len(challenges) || pass.Mechanisms != challengeKey(challenges[pass.ChallengeIndex]) {
			continue
		}
		entries = append(entries, passThroughEntry(pass.ChallengeIndex, challenges[pass.ChallengeIndex]))
		if earliest == nil || pass.PassedAt.Before(*earliest) {
			at := pass.PassedAt
			earliest = &at
		}
	}
	slices.Sort(entries)
	return strings.Join(entries, " "), earliest, nil
}

// remainingChallenges returns the challenges the session still has to ask,
// in order, with their indexes in the profile. A skipped entry applies only
// while the challenge at its index still has the same mechanisms.
func remainingChallenges(all [][]string, passedThrough string) ([][]string, []int) {
	skipped := strings.Fields(passedThrough)
	var challenges [][]string
	var indexes []int
	for i, mechanisms := range all {
		if slices.Contains(skipped, passThroughEntry(i, mechanisms)) {
			continue
		}
		challenges = append(challenges, mechanisms)
		indexes = append(indexes, i)
	}
	return challenges, indexes
}

// recordPass stores that the user passed the current challenge of the
// state with mechanism, replacing the earlier pass of that challenge.
func (s *Store) recordPass(ctx context.Context, st *MFAState, mechanism string) error {
	if st.profile == nil || st.Step >= len(st.indexes) {
		return nil
	}
	pass := MFAPass{
		UserID:         st.User.ID,
		AppID:          st.App.ID,
		ProfileID:      st.profile.ID,
		ChallengeIndex: st.indexes[st.Step],
		Mechanisms:     challengeKey(st.Challenges[st.Step]),
		Mechanism:      mechanism,
		PassedAt:       s.Now(),
	}
	return s.conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "app_id"}, {Name: "profile_id"}, {Name: "challenge_index"}},
		DoUpdates: clause.AssignmentColumns([]string{"mechanisms", "mechanism", "passed_at"}),
	}).Create(&pass).Error
}

// deleteMFAPasses deletes every pass of the user, so the next /run asks
// every challenge again.
func (s *Store) deleteMFAPasses(ctx context.Context, userID string) error {
	return s.conn(ctx).Where("user_id = ?", userID).Delete(&MFAPass{}).Error
}

// PassedThroughChallenges returns the 1-based numbers, in the profile, of
// the challenges this session skipped because of the pass-through
// duration.
func (st *MFAState) PassedThroughChallenges() []int {
	var out []int
	for _, entry := range strings.Fields(st.Session.PassedThrough) {
		index, _, _ := strings.Cut(entry, ":")
		if n, err := strconv.Atoi(index); err == nil {
			out = append(out, n+1)
		}
	}
	return out
}

// AuthTime returns the launch assertion's auth_time. It is now when this
// session asked every challenge, else the earliest earlier pass that the
// session relied on, because an authentication is only as recent as its
// oldest part.
func (st *MFAState) AuthTime(now time.Time) time.Time {
	if st.Session.PassedThroughAt != nil && st.Session.PassedThroughAt.Before(now) {
		return *st.Session.PassedThroughAt
	}
	return now
}
