package models

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
)

// CompileRESTRegex compiles one allowed-REST-path regex of a scope (Go RE2
// syntax). Surrounding spaces and one leading "/" are dropped, and the
// result is compiled as (?i)^(?:expr)$, so it must match the whole canonical
// path, case-insensitively, and never a substring of it. An empty
// expression is rejected because it would match every path.
func CompileRESTRegex(expr string) (*regexp.Regexp, error) {
	body := strings.TrimSpace(expr)
	body = strings.TrimPrefix(body, "/")
	if body == "" {
		return nil, errors.New("REST path regex is empty. An empty regex would allow every path, so enter a pattern such as users/.*")
	}

	// Parse the expression alone first. Wrapped in (?:...), an unbalanced
	// input such as "a)|(.*" would compile and escape the anchors.
	if _, err := syntax.Parse(body, syntax.Perl); err != nil {
		return nil, fmt.Errorf("invalid REST path regex %q: %w", body, err)
	}

	re, err := regexp.Compile(`(?i)^(?:` + body + `)$`)
	if err != nil {
		return nil, fmt.Errorf("invalid REST path regex %q: %w", body, err)
	}
	return re, nil
}

// CanonicalRESTPath returns the form of a request path that scope regexes
// are matched against: the query string and fragment are removed, then one
// leading "/". The caller passes the URL path, percent-decoded once.
func CanonicalRESTPath(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return strings.TrimPrefix(path, "/")
}

// ScopeRule is one allowed REST path regex of a scope.
type ScopeRule struct {
	Scope string
	Regex string
}

// ScopeMatch is the rule that allowed a request.
type ScopeMatch struct {
	Scope, Regex string
}

// MatchScopes returns the first rule whose regex matches the canonical form
// of path, and false when none does. A rule whose regex does not compile
// never matches.
func MatchScopes(path string, rules []ScopeRule) (ScopeMatch, bool) {
	canonical := CanonicalRESTPath(path)
	for _, rule := range rules {
		re, err := restRegexes.get(rule.Regex)
		if err != nil {
			continue
		}
		if re.MatchString(canonical) {
			return ScopeMatch{Scope: rule.Scope, Regex: rule.Regex}, true
		}
	}
	return ScopeMatch{}, false
}

// maxCachedRESTRegexes bounds the cache below. Scope regexes are configured
// by administrators, so a few hundred distinct values is already many.
const maxCachedRESTRegexes = 1024

// restRegexes caches compiled scope regexes because MatchScopes runs on
// every bearer-protected request.
var restRegexes = newRegexCache(maxCachedRESTRegexes)

type regexCacheEntry struct {
	re  *regexp.Regexp
	err error
}

// regexCache maps a source regex to its CompileRESTRegex result, errors
// included, so invalid stored regexes are not recompiled on every request.
// It is safe for concurrent use and holds at most maxEntries entries.
type regexCache struct {
	mu         sync.RWMutex
	entries    map[string]regexCacheEntry
	maxEntries int
}

func newRegexCache(maxEntries int) *regexCache {
	return &regexCache{entries: make(map[string]regexCacheEntry), maxEntries: maxEntries}
}

func (c *regexCache) get(expr string) (*regexp.Regexp, error) {
	c.mu.RLock()
	entry, found := c.entries[expr]
	c.mu.RUnlock()
	if found {
		return entry.re, entry.err
	}

	re, err := CompileRESTRegex(expr)

	c.mu.Lock()
	defer c.mu.Unlock()
	if _, found := c.entries[expr]; !found && len(c.entries) >= c.maxEntries {
		// Evict an arbitrary entry. Map iteration order is unspecified,
		// which is good enough for a cache that is rarely full.
		for key := range c.entries {
			delete(c.entries, key)
			break
		}
	}
	c.entries[expr] = regexCacheEntry{re: re, err: err}
	return re, err
}

func (c *regexCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
