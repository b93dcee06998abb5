package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portcullis-id/portcullis/models"
	"github.com/portcullis-id/portcullis/models/modeltest"
)

func TestUserTokenSingleUse(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		user, err := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("user"), Password: "user-password-01"})
		if err != nil {
			t.Fatal(err)
		}
		token, ut, err := s.MintUserToken(ctx, user, "client", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if ut.TokenHash == token || len(token) < 40 {
			t.Fatalf("token stored in clear or too short: %q", token)
		}

		const racers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.ConsumeUserToken(ctx, token); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent consumers succeeded, want exactly 1", wins)
		}
		if _, err := s.ConsumeUserToken(ctx, token); !errors.Is(err, models.ErrTokenUsed) {
			t.Errorf("reuse: got %v, want ErrTokenUsed", err)
		}
		if _, err := s.ConsumeUserToken(ctx, "forged"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown token: got %v, want ErrNotFound", err)
		}
	})
}

func TestUserTokenExpires(t *testing.T) {
	modeltest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		user, _ := s.CreateUser(ctx, models.NewUser{LoginName: modeltest.Name("user"), Password: "user-password-01"})
		start := time.Now().UTC()
		s.Now = func() time.Time { return start }
		token, _, err := s.MintUserToken(ctx, user, "client", "")
		if err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return start.Add(models.UserTokenTTL + time.Second) }
		if _, err := s.ConsumeUserToken(ctx, token); !errors.Is(err, models.ErrTokenExpired) {
			t.Fatalf("expired token: got %v, want ErrTokenExpired", err)
		}
	})
}
