package models

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// watchArgon2 replaces deriveArgon2Key for the test with one that counts
// the calls and the most that run at once, and takes at least delay.
func watchArgon2(t *testing.T, delay time.Duration) (calls, maxInFlight *atomic.Int64) {
	calls, maxInFlight = &atomic.Int64{}, &atomic.Int64{}
	var inFlight atomic.Int64
	deriveArgon2Key = func(password, salt []byte, iterations, memory uint32, threads uint8, keyLength uint32) []byte {
		calls.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			seen := maxInFlight.Load()
			if n <= seen || maxInFlight.CompareAndSwap(seen, n) {
				break
			}
		}
		time.Sleep(delay)
		return argon2.IDKey(password, salt, iterations, memory, threads, keyLength)
	}
	t.Cleanup(func() { deriveArgon2Key = argon2.IDKey })
	return calls, maxInFlight
}

var cheapArgon2 = Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestArgon2RunsAtMostOnePerCPU(t *testing.T) {
	h := PasswordHasher{Params: cheapArgon2}
	encoded, err := h.Hash("client-secret-0001")
	if err != nil {
		t.Fatal(err)
	}
	_, maxInFlight := watchArgon2(t, 10*time.Millisecond)

	var wg sync.WaitGroup
	for range 4 * cap(argon2Slots) {
		wg.Go(func() {
			if ok, err := h.Verify(encoded, "client-secret-0001"); err != nil || !ok {
				t.Errorf("Verify = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	if got := maxInFlight.Load(); got > int64(cap(argon2Slots)) {
		t.Errorf("%d argon2id computations ran at once, want at most %d", got, cap(argon2Slots))
	}
}

func TestConcurrentSameSecretVerifiesOnce(t *testing.T) {
	s := openInternalTestStore(t)
	s.Hasher.Params = cheapArgon2
	ctx := context.Background()
	hash, err := s.Hasher.Hash("client-secret-0001")
	if err != nil {
		t.Fatal(err)
	}
	user := &User{ID: NewID(), PasswordHash: hash}
	calls, _ := watchArgon2(t, 50*time.Millisecond)

	const requests = 8
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() {
			if ok, err := s.verifyClientSecret(ctx, user, "client-secret-0001"); err != nil || !ok {
				t.Errorf("verifyClientSecret = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	if got := calls.Load(); got >= requests {
		t.Errorf("%d concurrent verifications of one secret ran argon2id %d times, want them to share runs", requests, got)
	}
}

func TestConcurrentUnknownClientVerifiesOnce(t *testing.T) {
	s := openInternalTestStore(t)
	s.Hasher.Params = cheapArgon2
	calls, _ := watchArgon2(t, 50*time.Millisecond)

	const requests = 8
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() {
			s.verifyDummySecret(ClientCredentials{ID: "nobody@example.test", Secret: "guess-0001"})
		})
	}
	wg.Wait()
	if got := calls.Load(); got >= requests {
		t.Errorf("%d concurrent checks of one unknown client ran argon2id %d times, want them to share runs like a known client", requests, got)
	}
}
