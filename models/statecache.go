package models

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Bounds of the cache of configuration rows.
const (
	// StateCacheTTL is how long an instance reuses a configuration row it
	// read: an app, its scopes and permissions, an authentication
	// profile, role memberships and rights. A change made through another
	// instance, or straight in the database, takes effect here within this
	// time. A change made through this instance's store takes effect at
	// once.
	StateCacheTTL = time.Second
	// stateCacheSize is the number of entries kept. An entry is one app,
	// the scopes of one app or the role ids of one user, usually under
	// 1 KiB, so a full cache holds an estimated 10 MiB or less.
	stateCacheSize = 10000
)

// stateCachedTables are the tables whose rows the state cache holds. A
// write to any of them through this store's database drops every entry.
// Users are not among them, because user rows carry the status, lockout
// and TOTP replay state, which every request reads fresh.
var stateCachedTables = []string{"apps", "scopes", "app_permissions", "roles", "role_members", "auth_profiles"}

// stateCache keeps the configuration rows that every token, GetTokenForUser
// and /run request reads, so those requests query the database only for
// what changes per request: users, tokens and sessions. Entries live for
// StateCacheTTL, measured on the monotonic clock and not on Store.Now, so
// a test's frozen clock never keeps an entry alive.
//
// Invalidation: every Create, Update, Delete or Exec through the store's
// *gorm.DB on a cached table increments gen, which drops every entry. A
// value loaded while gen changed is not stored, so a reader that raced a
// write cannot put the old row back. Store.InTx increments gen again after
// a transaction that wrote a cached table, because readers outside the
// transaction see the old rows until it commits. A transaction stores what
// it reads only while gen is still what it was when the transaction began,
// so an uncommitted row never reaches the cache.
type stateCache struct {
	ttl  time.Duration
	size int
	gen  atomic.Uint64

	mu      sync.Mutex
	entries map[string]stateEntry
}

type stateEntry struct {
	value   any
	gen     uint64
	expires time.Time
}

func newStateCache(ttl time.Duration, size int) *stateCache {
	return &stateCache{ttl: ttl, size: size, entries: make(map[string]stateEntry)}
}

func (c *stateCache) enabled() bool { return c != nil && c.ttl > 0 && c.size > 0 }

// get returns the live entry for key.
func (c *stateCache) get(key string) (any, bool) {
	gen := c.gen.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[key]
	if !found {
		return nil, false
	}
	if e.gen != gen || !time.Now().Before(e.expires) {
		delete(c.entries, key)
		return nil, false
	}
	return e.value, true
}

// put stores value under key unless gen, read before value was loaded,
// is no longer current. A full cache first drops the first entry that map
// iteration yields, an arbitrary one, which keeps put cheap.
func (c *stateCache) put(key string, value any, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	if _, found := c.entries[key]; !found && len(c.entries) >= c.size {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[key] = stateEntry{value: value, gen: gen, expires: time.Now().Add(c.ttl)}
}

// invalidate drops every entry.
func (c *stateCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	clear(c.entries)
}

func (c *stateCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// cachedState returns the value under key, calling load on a miss. clone
// copies a value so that no caller shares memory with the cache. Inside a
// transaction (Store.InTx), a miss is stored only while no cached table
// was written since the transaction began, so a row the transaction wrote
// and might roll back is never stored.
func cachedState[T any](s *Store, key string, load func() (T, error), clone func(T) T) (T, error) {
	c := s.state
	if !c.enabled() {
		return load()
	}
	if v, ok := c.get(key); ok {
		return clone(v.(T)), nil
	}
	gen := c.gen.Load()
	v, err := load()
	if err != nil || (s.inTx && gen != s.txStateGen) {
		return v, err
	}
	c.put(key, v, gen)
	return clone(v), nil
}

// InvalidateCaches drops every cached configuration row, as a write
// through this store does. Call it after changing those rows by another
// way, such as a second connection in a test.
func (s *Store) InvalidateCaches() {
	if s.state != nil {
		s.state.invalidate()
	}
}

// registerStateInvalidation makes every write to a cached table through db
// invalidate c. The callbacks are named after c, so several stores can
// share one *gorm.DB.
func registerStateInvalidation(db *gorm.DB, c *stateCache) error {
	name := fmt.Sprintf("portcullis:invalidate_state_%p", c)
	onWrite := func(tx *gorm.DB) {
		if isStateCachedTable(tx.Statement.Table) {
			c.invalidate()
		}
	}
	onExec := func(tx *gorm.DB) {
		sql := strings.ToLower(tx.Statement.SQL.String())
		for _, table := range stateCachedTables {
			if strings.Contains(sql, table) {
				c.invalidate()
				return
			}
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register(name, onWrite),
		cb.Update().After("gorm:update").Register(name, onWrite),
		cb.Delete().After("gorm:delete").Register(name, onWrite),
		cb.Raw().After("gorm:raw").Register(name, onExec),
	} {
		if err != nil {
			return fmt.Errorf("register the state cache invalidation: %w", err)
		}
	}
	return nil
}

func isStateCachedTable(table string) bool {
	for _, t := range stateCachedTables {
		if t == table {
			return true
		}
	}
	return false
}

// cloneApp copies an app with its pointer fields.
func cloneApp(a *App) *App {
	c := *a
	c.ApplicationID = cloneStringPointer(a.ApplicationID)
	c.ApplicationIDKey = cloneStringPointer(a.ApplicationIDKey)
	c.AuthProfileID = cloneStringPointer(a.AuthProfileID)
	return &c
}

func cloneStringPointer(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneSlice[T any](in []T) []T {
	if in == nil {
		return nil
	}
	return append(make([]T, 0, len(in)), in...)
}

func cloneRights(in map[string]bool) map[string]bool {
	out := make(map[string]bool, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func cloneAuthProfile(p *AuthProfile) *AuthProfile {
	c := *p
	return &c
}

func identity[T any](v T) T { return v }
