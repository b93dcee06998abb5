package models_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/mfatest"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestConsumeAssertionJTIOnce(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		clock := mfatest.NewClock()
		s.Now = clock.Now
		jti := uuid.NewString()
		exp := clock.Now().Add(2 * time.Minute)

		if err := s.ConsumeAssertionJTI(mfaCtx, jti, exp); err != nil {
			t.Fatalf("first use: %v", err)
		}
		if err := s.ConsumeAssertionJTI(mfaCtx, jti, exp); !errors.Is(err, models.ErrTokenUsed) {
			t.Fatalf("second use: got %v, want ErrTokenUsed", err)
		}
		if err := s.ConsumeAssertionJTI(mfaCtx, uuid.NewString(), exp); err != nil {
			t.Errorf("another jti: %v", err)
		}

		for _, bad := range []string{"", strings.Repeat("x", 129)} {
			if err := s.ConsumeAssertionJTI(mfaCtx, bad, exp); !errors.Is(err, models.ErrInvalidJTI) {
				t.Errorf("jti of %d bytes: got %v, want ErrInvalidJTI", len(bad), err)
			}
		}

		clock.Advance(3 * time.Minute)
		if err := s.DeleteExpired(mfaCtx); err != nil {
			t.Fatal(err)
		}
		if err := s.ConsumeAssertionJTI(mfaCtx, jti, clock.Now().Add(2*time.Minute)); err != nil {
			t.Errorf("jti after its record expired: %v", err)
		}
	})
}

func TestConsumeAssertionJTIConcurrently(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		jti := uuid.NewString()
		exp := s.Now().Add(2 * time.Minute)
		var wg sync.WaitGroup
		var mu sync.Mutex
		succeeded := 0
		for range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.ConsumeAssertionJTI(mfaCtx, jti, exp)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					succeeded++
				case !errors.Is(err, models.ErrTokenUsed):
					t.Errorf("concurrent use: %v", err)
				}
			}()
		}
		wg.Wait()
		if succeeded != 1 {
			t.Fatalf("%d of 5 concurrent uses succeeded, want 1", succeeded)
		}
	})
}
