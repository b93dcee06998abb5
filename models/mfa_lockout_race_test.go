package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

// TestMFAFailureBurstLocksUser records exactly MFAMaxUserFailures wrong
// MFA answers of one user concurrently and expects the user to be locked.
// On PostgreSQL, a transaction that counts before the others commit
// misses them unless the row lock orders the transactions. Each round
// uses a fresh user and the real clock, as in production.
func TestMFAFailureBurstLocksUser(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		const failures = 10
		const rounds = 300
		s.Settings.MFAMaxUserFailures = failures
		ctx := context.Background()
		missed := 0
		for round := range rounds {
			f := mfatest.New(t, s, mfatest.Options{Challenges: [][]string{{models.MechOATH}}})
			s.Now = func() time.Time { return time.Now().UTC() }

			start := make(chan struct{})
			var wg sync.WaitGroup
			var mu sync.Mutex
			var maxCount int64
			for range failures {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					count, _, err := s.RecordMFAFailure(ctx, f.User, "192.0.2.1")
					if err != nil {
						t.Errorf("round %d: RecordMFAFailure failed: %v", round, err)
						return
					}
					mu.Lock()
					maxCount = max(maxCount, count)
					mu.Unlock()
				}()
			}
			close(start)
			wg.Wait()

			user, err := s.UserByID(ctx, f.User.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !user.IsLockedAt(s.Now()) {
				missed++
				t.Logf("round %d: %d wrong answers left the user unlocked; the highest count any request saw was %d",
					round, failures, maxCount)
			}
		}
		if missed > 0 {
			t.Errorf("%d of %d rounds of %d concurrent wrong answers did not lock the user", missed, rounds, failures)
		}
	})
}
