package models

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// verifiedJWTCacheSize bounds the cache of verified tokens. An entry is
// the claims of one token, under 1 KiB for an access token, so a full
// cache holds an estimated 4 MiB or less.
const verifiedJWTCacheSize = 4096

// verifiedJWTCache remembers tokens whose signature VerifyJWT checked, so
// a backend that sends the same access token on every request pays for
// the RSA verification and the JSON decoding once. A hit still checks the
// time claims and the issuer against the store's clock, and that the
// signing key is still published, so a cached token stops verifying when
// it expires or its key is withdrawn. Only an exact copy of a token that
// verified can hit, so the cache gives nothing to a forger.
type verifiedJWTCache struct {
	mu      sync.Mutex
	size    int
	entries map[verifiedJWTKey]verifiedJWT
}

// verifiedJWTKey is the SHA-256 of the issuer and the token.
type verifiedJWTKey [sha256.Size]byte

type verifiedJWT struct {
	claims jwt.MapClaims
	kid    string
	// until is when the token expires with leeway, after which the entry
	// is useless and is dropped.
	until time.Time
}

func newVerifiedJWTCache(size int) *verifiedJWTCache {
	return &verifiedJWTCache{size: size, entries: make(map[verifiedJWTKey]verifiedJWT)}
}

func verifiedJWTKeyOf(token, issuer string) verifiedJWTKey {
	h := sha256.New()
	h.Write([]byte(issuer))
	h.Write([]byte{0})
	h.Write([]byte(token))
	var k verifiedJWTKey
	h.Sum(k[:0])
	return k
}

// get returns the entry for k, or false.
func (c *verifiedJWTCache) get(k verifiedJWTKey) (verifiedJWT, bool) {
	if c == nil {
		return verifiedJWT{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[k]
	if found && time.Now().After(e.until) {
		delete(c.entries, k)
		return verifiedJWT{}, false
	}
	return e, found
}

// add stores a verified token's claims. A full cache first drops the
// first entry that map iteration yields, an arbitrary one.
func (c *verifiedJWTCache) add(k verifiedJWTKey, e verifiedJWT) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, found := c.entries[k]; !found && len(c.entries) >= c.size {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = e
}

func (c *verifiedJWTCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// cloneClaims copies the top level of claims, so a caller that changes
// the map does not change the cached copy.
func cloneClaims(claims jwt.MapClaims) jwt.MapClaims {
	out := make(jwt.MapClaims, len(claims))
	for k, v := range claims {
		out[k] = v
	}
	return out
}
