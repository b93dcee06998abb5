package models

import (
	"context"
	"crypto/rsa"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// signingKeyRefreshInterval is how long an instance trusts its cached
// signing keys. After a rotation elsewhere, an instance may keep signing
// with the old key for this long, so the old key's publication covers it.
const signingKeyRefreshInterval = 30 * time.Second

// signingKeyMissRefreshInterval limits reloads caused by tokens whose kid
// is unknown, so forged kids cannot turn every request into a query.
const signingKeyMissRefreshInterval = time.Second

// cachedSigningKey is a published key with its parsed parts.
type cachedSigningKey struct {
	row    SigningKey // PrivateKeyEnc is cleared once parsed
	public *rsa.PublicKey
	x5t    string
	// private is set for the active key only.
	private *rsa.PrivateKey
}

// signingKeySet is one loaded snapshot of the published keys. It is never
// changed after it is stored in the cache.
type signingKeySet struct {
	keys   []*cachedSigningKey // newest first
	byKid  map[string]*cachedSigningKey
	active *cachedSigningKey // nil when no active key could be used
	// activeErr is the reason active is nil when the database has an
	// active key that could not be opened.
	activeErr error
	loadedAt  time.Time
}

// signingKeyCache keeps the parsed signing keys of one store, so signing
// does not decrypt the private key and verification does not query the
// database per request. It reloads every refreshEvery, and on an unknown
// kid at most every missRefreshEvery, so a rotation on another instance
// reaches this one.
type signingKeyCache struct {
	set atomic.Pointer[signingKeySet]
	// mu serialises reloads and guards lastMissReload.
	mu               sync.Mutex
	lastMissReload   time.Time
	refreshEvery     time.Duration
	missRefreshEvery time.Duration
}

func newSigningKeyCache() *signingKeyCache {
	return &signingKeyCache{
		refreshEvery:     signingKeyRefreshInterval,
		missRefreshEvery: signingKeyMissRefreshInterval,
	}
}

// invalidate makes the next use reload from the database.
func (c *signingKeyCache) invalidate() { c.set.Store(nil) }

// current returns the cached set, reloading it when it is older than
// refreshEvery.
func (c *signingKeyCache) current(ctx context.Context, s *Store) (*signingKeySet, error) {
	if set := c.set.Load(); set != nil && time.Since(set.loadedAt) < c.refreshEvery {
		return set, nil
	}
	return c.reload(ctx, s, false)
}

// reload loads the published keys again. A reload for an unknown kid
// (onMiss) runs at most every missRefreshEvery. When the database fails
// and a set is cached, the cached set stays in use.
func (c *signingKeyCache) reload(ctx context.Context, s *Store, onMiss bool) (*signingKeySet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	old := c.set.Load()
	if old != nil {
		if !onMiss && time.Since(old.loadedAt) < c.refreshEvery {
			return old, nil // another goroutine reloaded meanwhile
		}
		if onMiss && time.Since(c.lastMissReload) < c.missRefreshEvery {
			return old, nil
		}
	}
	if onMiss {
		c.lastMissReload = time.Now()
	}

	rows, err := s.loadPublishedSigningKeys(ctx, s.Now())
	if err != nil {
		if old != nil {
			s.Log.WarnContext(ctx, "reloading the signing keys failed; using the cached keys", "error", err)
			return old, nil
		}
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	set := c.parse(ctx, s, rows, old)
	c.set.Store(set)
	return set, nil
}

// parse builds a set from rows, reusing the parsed keys of old so the
// active private key is decrypted once per instance, not per reload.
func (c *signingKeyCache) parse(ctx context.Context, s *Store, rows []SigningKey, old *signingKeySet) *signingKeySet {
	set := &signingKeySet{byKid: make(map[string]*cachedSigningKey, len(rows)), loadedAt: time.Now()}
	for _, row := range rows {
		var prev *cachedSigningKey
		if old != nil {
			prev = old.byKid[row.Kid]
		}
		key, err := parseCachedSigningKey(s, row, prev)
		if err != nil {
			s.Log.ErrorContext(ctx, "a stored signing key cannot be used", "kid", row.Kid, "error", err)
			if row.IsActive() && set.active == nil && set.activeErr == nil {
				set.activeErr = err
			}
			continue
		}
		set.keys = append(set.keys, key)
		set.byKid[key.row.Kid] = key
		if key.private != nil && set.active == nil && set.activeErr == nil {
			set.active = key
		}
	}
	return set
}

func parseCachedSigningKey(s *Store, row SigningKey, prev *cachedSigningKey) (*cachedSigningKey, error) {
	sealed := row.PrivateKeyEnc
	row.PrivateKeyEnc = nil
	if prev != nil && (!row.IsActive() || prev.private != nil) {
		key := *prev
		key.row = row
		if !row.IsActive() {
			key.private = nil
		}
		return &key, nil
	}

	public, err := publicKeyOfCert(row.CertDER)
	if err != nil {
		return nil, err
	}
	key := &cachedSigningKey{row: row, public: public, x5t: row.X5T()}
	if row.IsActive() {
		priv, err := s.parsePrivateKey(sealed)
		if err != nil {
			return nil, err
		}
		if !priv.PublicKey.Equal(public) {
			return nil, fmt.Errorf("private key does not match the certificate")
		}
		key.private = priv
	}
	return key, nil
}

// activeSigningKey returns the key that signs new tokens, creating the
// first key if the database has none.
func (s *Store) activeSigningKey(ctx context.Context) (*cachedSigningKey, error) {
	set, err := s.signing.current(ctx, s)
	if err != nil {
		return nil, err
	}
	if set.active != nil {
		return set.active, nil
	}
	if set.activeErr != nil {
		return nil, set.activeErr
	}
	if err := s.EnsureSigningKey(ctx); err != nil {
		return nil, err
	}
	if set, err = s.signing.current(ctx, s); err != nil {
		return nil, err
	}
	if set.active == nil {
		if set.activeErr != nil {
			return nil, set.activeErr
		}
		return nil, ErrNoSigningKey
	}
	return set.active, nil
}

// verificationKey returns the published key with the kid, reloading the
// set once when the kid is unknown.
func (s *Store) verificationKey(ctx context.Context, kid string) (*cachedSigningKey, error) {
	set, err := s.signing.current(ctx, s)
	if err != nil {
		return nil, err
	}
	key := set.byKid[kid]
	if key == nil {
		if set, err = s.signing.reload(ctx, s, true); err != nil {
			return nil, err
		}
		key = set.byKid[kid]
	}
	if key == nil || !key.row.IsPublishedAt(s.Now()) {
		return nil, fmt.Errorf("no published signing key has the kid %.64q", kid)
	}
	return key, nil
}
