package models

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// openInternalTestStore opens a migrated SQLite store for tests that need
// the package's unexported parts. Store tests that run on every backend
// use modeltest, which this package cannot import.
func openInternalTestStore(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	cfg := DBConfig{DataDir: t.TempDir()}
	db, err := OpenDB(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db, cfg.Dialect(), nil); err != nil {
		t.Fatal(err)
	}
	keys, err := NewKeyring([]byte("internal-test-secret-key-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore(db, keys, DefaultSettings(), slog.New(slog.DiscardHandler))
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSecretCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newSecretCache([]byte("mac-key"), time.Minute, 3)
	now := time.Now()
	keys := make([]secretCacheKey, 4)
	for i := range keys {
		keys[i] = c.key("user", "hash", string(rune('a'+i)))
	}
	for _, k := range keys[:3] {
		c.add(k, now)
	}
	c.contains(keys[0], now) // keys[0] is now the most recently used
	c.add(keys[3], now)

	if c.len() != 3 {
		t.Fatalf("cache holds %d entries, want its size 3", c.len())
	}
	if c.contains(keys[1], now) {
		t.Error("the least recently used entry was not evicted")
	}
	for _, i := range []int{0, 2, 3} {
		if !c.contains(keys[i], now) {
			t.Errorf("entry %d was evicted", i)
		}
	}
}

func TestSecretCacheEntriesExpire(t *testing.T) {
	c := newSecretCache([]byte("mac-key"), time.Minute, 10)
	now := time.Now()
	k := c.key("user", "hash", "secret")
	c.add(k, now)
	if !c.contains(k, now.Add(59*time.Second)) {
		t.Fatal("entry missing before its TTL")
	}
	if c.contains(k, now.Add(61*time.Second)) {
		t.Fatal("entry still used after its TTL")
	}
	if c.len() != 0 {
		t.Errorf("expired entry was kept")
	}
}

func TestSecretCacheKeyBindsEveryPart(t *testing.T) {
	c := newSecretCache([]byte("mac-key"), time.Minute, 10)
	base := c.key("user", "hash", "secret")
	others := []secretCacheKey{
		c.key("user2", "hash", "secret"),
		c.key("user", "hash2", "secret"),
		c.key("user", "hash", "secret2"),
		// Moving bytes between parts must change the key.
		c.key("userh", "ash", "secret"),
		c.key("user", "hashs", "ecret"),
	}
	for i, k := range others {
		if k == base {
			t.Errorf("variant %d shares the key of the original", i)
		}
	}
	if newSecretCache([]byte("other-key"), time.Minute, 10).key("user", "hash", "secret") == base {
		t.Error("the key does not depend on the MAC key")
	}
}

// TestCachedSecondReadingSkipsArgon2 authenticates with a wrong first
// reading and a right second one, as raw Basic credentials with a "+" in
// the secret produce. Once the right reading is cached, no argon2id may
// run: the store's hasher is removed, so any verification would panic.
func TestCachedSecondReadingSkipsArgon2(t *testing.T) {
	s := openInternalTestStore(t)
	s.Hasher.Params = Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	ctx := context.Background()
	app, err := s.CreateApp(ctx, NewApp{Template: TemplateOAuthClient, Name: "Billing", ApplicationID: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	client, err := s.CreateUser(ctx, NewUser{LoginName: "backend@example.test", Password: "Ab+cd/ef=:gh", IsOAuthClient: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAppPermission(ctx, app.ID, PermissionInput{PrincipalType: PrincipalUser, PrincipalID: client.ID, Run: true}); err != nil {
		t.Fatal(err)
	}
	readings := []ClientCredentials{
		{ID: client.LoginName, Secret: "Ab cd/ef=:gh"},
		{ID: client.LoginName, Secret: "Ab+cd/ef=:gh"},
	}
	if _, err := s.AuthenticateClient(ctx, app, readings...); err != nil {
		t.Fatal(err)
	}

	s.Hasher = nil
	if _, err := s.AuthenticateClient(ctx, app, readings...); err != nil {
		t.Fatalf("cached second reading: %v", err)
	}
}

func TestIneligibleClientSkipsSecretCache(t *testing.T) {
	s := openInternalTestStore(t)
	s.Hasher.Params = Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	ctx := context.Background()
	app, err := s.CreateApp(ctx, NewApp{Template: TemplateOAuthClient, Name: "Cached", ApplicationID: "cached"})
	if err != nil {
		t.Fatal(err)
	}
	client, err := s.CreateUser(ctx, NewUser{LoginName: "cached-client@example.test", Password: "cached-secret-0001", IsOAuthClient: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAppPermission(ctx, app.ID, PermissionInput{PrincipalType: PrincipalUser, PrincipalID: client.ID, Run: true}); err != nil {
		t.Fatal(err)
	}
	creds := ClientCredentials{ID: client.LoginName, Secret: "cached-secret-0001"}

	for i := 0; i < 2; i++ {
		if _, err := s.AuthenticateClient(ctx, app, creds); err != nil {
			t.Fatalf("authenticate %d: %v", i+1, err)
		}
	}
	if runs := s.clientSecrets.hashRuns.Load(); runs != 1 {
		t.Fatalf("%d hash runs for two successes, want 1 (the second from the cache)", runs)
	}

	if err := s.conn(ctx).Model(&User{}).Where("id = ?", client.ID).Update("disabled", true).Error; err != nil {
		t.Fatal(err)
	}
	s.state.invalidate()
	for i := 0; i < 2; i++ {
		if _, err := s.AuthenticateClient(ctx, app, creds); !errors.Is(err, ErrInvalidClient) {
			t.Fatalf("disabled client: %v, want ErrInvalidClient", err)
		}
	}
	if runs := s.clientSecrets.hashRuns.Load(); runs != 3 {
		t.Errorf("%d hash runs after two attempts of a disabled client, want 3: a cache hit would answer faster for the right secret", runs)
	}
}
