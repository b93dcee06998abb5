package models

import (
	"container/list"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Bounds of the cache of verified client secrets.
const (
	// SecretCacheTTL is how long a successful verification is reused.
	SecretCacheTTL = 5 * time.Minute
	// secretCacheSize is the number of entries kept. An entry is about
	// 100 bytes, so a full cache holds about 1 MiB.
	secretCacheSize = 10000
)

type secretCacheKey [sha256.Size]byte

type secretCacheEntry struct {
	key     secretCacheKey
	expires time.Time
}

// secretCache remembers successful client secret verifications, so a
// client that asks for tokens often pays for argon2id once every
// SecretCacheTTL instead of once per request. Only successes are stored,
// so a fast response needs the client's right secret, and timing reveals
// nothing to a caller who does not know it. It is a size-capped LRU list,
// safe for concurrent use.
//
// The key is an HMAC, under a key derived from the server's secret key,
// of the user id, the stored password hash and the secret. The hash gets
// a fresh salt on every password change, so a change made on any instance
// misses every entry made before it. The cache never stores the secret,
// nor anything that tests a guess without the server's secret key.
type secretCache struct {
	macKey []byte // nil disables the cache
	ttl    time.Duration
	size   int

	mu      sync.Mutex
	order   *list.List // of *secretCacheEntry, most recently used first
	entries map[secretCacheKey]*list.Element

	// verifying shares one argon2id run among concurrent verifications
	// with the same key. It works when the cache is off too.
	verifying singleflight.Group
	// hashRuns counts argon2id verifications of client secrets.
	hashRuns atomic.Int64
}

func newSecretCache(macKey []byte, ttl time.Duration, size int) *secretCache {
	return &secretCache{
		macKey:  macKey,
		ttl:     ttl,
		size:    size,
		order:   list.New(),
		entries: make(map[secretCacheKey]*list.Element),
	}
}

// key returns the cache key of a verification of secret against the
// user's stored hash. Every part is length-prefixed, so no two inputs
// share a key.
func (c *secretCache) key(userID, passwordHash, secret string) secretCacheKey {
	m := hmac.New(sha256.New, c.macKey)
	for _, part := range []string{userID, passwordHash, secret} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		m.Write(n[:])
		m.Write([]byte(part))
	}
	var k secretCacheKey
	m.Sum(k[:0])
	return k
}

func (c *secretCache) enabled() bool { return c != nil && c.macKey != nil && c.size > 0 }

// contains reports whether a live entry for k exists, and marks it used.
func (c *secretCache) contains(k secretCacheKey, now time.Time) bool {
	if !c.enabled() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	elem, found := c.entries[k]
	if !found {
		return false
	}
	entry := elem.Value.(*secretCacheEntry)
	if !now.Before(entry.expires) {
		c.order.Remove(elem)
		delete(c.entries, k)
		return false
	}
	c.order.MoveToFront(elem)
	return true
}

// add stores k until now + ttl, evicting the least recently used entry
// when the cache is full.
func (c *secretCache) add(k secretCacheKey, now time.Time) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if elem, found := c.entries[k]; found {
		elem.Value.(*secretCacheEntry).expires = now.Add(c.ttl)
		c.order.MoveToFront(elem)
		return
	}
	for c.order.Len() >= c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*secretCacheEntry).key)
	}
	c.entries[k] = c.order.PushFront(&secretCacheEntry{key: k, expires: now.Add(c.ttl)})
}

// len returns the number of entries, expired ones included.
func (c *secretCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
