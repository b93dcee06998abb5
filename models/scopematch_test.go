package models

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestCompileRESTRegex(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		want    string // compiled expression, if wantErr is empty
		wantErr string // substring of the error
	}{
		{name: "leading slash dropped", expr: "/security/GetToken", want: "(?i)^(?:security/GetToken)$"},
		{name: "no leading slash", expr: "security/GetToken", want: "(?i)^(?:security/GetToken)$"},
		{name: "surrounding spaces trimmed", expr: "  /users/.*  ", want: "(?i)^(?:users/.*)$"},
		{name: "only one slash dropped", expr: "//users", want: "(?i)^(?:/users)$"},
		{name: "alternation stays inside the anchors", expr: "a|b", want: "(?i)^(?:a|b)$"},
		{name: "empty", expr: "", wantErr: "empty"},
		{name: "spaces only", expr: "   ", wantErr: "empty"},
		{name: "slash only", expr: "/", wantErr: "empty"},
		{name: "slash and spaces", expr: "  /  ", wantErr: "empty"},
		{name: "missing closing parenthesis", expr: "users/(.*", wantErr: "missing closing )"},
		{name: "unexpected closing parenthesis", expr: "users)", wantErr: "unexpected )"},
		{name: "escape from the anchors", expr: "a)|(.*", wantErr: "unexpected )"},
		{name: "missing repeat argument", expr: "*users", wantErr: "missing argument to repetition operator"},
		{name: "Perl lookahead", expr: "users(?=x)", wantErr: "invalid or unsupported Perl syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := CompileRESTRegex(tt.expr)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("CompileRESTRegex(%q) = %v, want an error containing %q", tt.expr, re, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("CompileRESTRegex(%q) error = %q, want it to contain %q", tt.expr, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("CompileRESTRegex(%q) error = %v", tt.expr, err)
			}
			if re.String() != tt.want {
				t.Errorf("CompileRESTRegex(%q) = %q, want %q", tt.expr, re.String(), tt.want)
			}
		})
	}
}

func TestCompileRESTRegexErrorHasParserText(t *testing.T) {
	const expr = "users/[a-"
	_, parserErr := regexp.Compile(expr)
	if parserErr == nil {
		t.Fatalf("regexp.Compile(%q) unexpectedly succeeded", expr)
	}

	_, err := CompileRESTRegex(expr)
	if err == nil {
		t.Fatalf("CompileRESTRegex(%q) = nil error", expr)
	}
	if !strings.Contains(err.Error(), parserErr.Error()) {
		t.Errorf("CompileRESTRegex(%q) error = %q, want it to contain %q", expr, err, parserErr)
	}
}

func TestCanonicalRESTPath(t *testing.T) {
	tests := []struct {
		name string
		path string
		want string
	}{
		{name: "leading slash", path: "/security/GetToken", want: "security/GetToken"},
		{name: "no leading slash", path: "security/GetToken", want: "security/GetToken"},
		{name: "query string", path: "/security/GetTokenForUser?user=user-01&next=/users/x", want: "security/GetTokenForUser"},
		{name: "fragment", path: "/users/x#part", want: "users/x"},
		{name: "fragment before question mark", path: "/users/x#a?b", want: "users/x"},
		{name: "only one slash stripped", path: "//users/x", want: "/users/x"},
		{name: "root", path: "/", want: ""},
		{name: "empty", path: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanonicalRESTPath(tt.path); got != tt.want {
				t.Errorf("CanonicalRESTPath(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestMatchScopes(t *testing.T) {
	// Scopes granted to a typical confidential client.
	granted := []ScopeRule{
		{Scope: "tfu", Regex: "/security/GetTokenForUser"},
		{Scope: "token-info", Regex: "/security/GetToken"},
		{Scope: "read", Regex: "/users/.*"},
	}
	tokenInfoOnly := []ScopeRule{{Scope: "token-info", Regex: "/security/GetToken"}}

	tests := []struct {
		name      string
		path      string
		rules     []ScopeRule
		wantScope string // "" when no rule may match
	}{
		{name: "shorter regex does not allow longer path", path: "/security/GetTokenForUser", rules: tokenInfoOnly, wantScope: ""},
		{name: "exact path", path: "/security/GetToken", rules: tokenInfoOnly, wantScope: "token-info"},
		{name: "longer path needs its own scope", path: "/security/GetTokenForUser", rules: granted, wantScope: "tfu"},
		{name: "prefix of path does not match", path: "/security/GetTok", rules: tokenInfoOnly, wantScope: ""},
		{name: "path with extra prefix", path: "/api/security/GetToken", rules: tokenInfoOnly, wantScope: ""},
		{name: "trailing slash is another path", path: "/security/GetToken/", rules: tokenInfoOnly, wantScope: ""},
		{name: "query string ignored", path: "/security/GetTokenForUser?user=user-01&next=/users/x", rules: granted, wantScope: "tfu"},
		{name: "query string cannot add a match", path: "/security/GetToken?x=ForUser", rules: granted, wantScope: "token-info"},
		{name: "query string cannot satisfy another scope", path: "/admin?next=/users/x", rules: granted, wantScope: ""},
		{name: "case-insensitive path", path: "/SECURITY/gettokenforuser", rules: granted, wantScope: "tfu"},
		{name: "path without leading slash", path: "security/GetToken", rules: tokenInfoOnly, wantScope: "token-info"},
		{name: "regex without leading slash", path: "/security/GetToken", rules: []ScopeRule{{Scope: "s", Regex: "security/GetToken"}}, wantScope: "s"},
		{name: "double leading slash does not match", path: "//security/GetToken", rules: tokenInfoOnly, wantScope: ""},
		{name: "wildcard scope", path: "/users/x", rules: granted, wantScope: "read"},
		{name: "wildcard needs its prefix", path: "/usersx", rules: granted, wantScope: ""},
		{name: "dot star matches everything", path: "/admin/anything?x=1", rules: []ScopeRule{{Scope: "admin-all", Regex: ".*"}}, wantScope: "admin-all"},
		{name: "dot star matches root", path: "/", rules: []ScopeRule{{Scope: "admin-all", Regex: ".*"}}, wantScope: "admin-all"},
		{name: "empty regex never matches", path: "/security/GetTokenForUser", rules: []ScopeRule{{Scope: "broken", Regex: ""}}, wantScope: ""},
		{name: "empty regex never matches root", path: "/", rules: []ScopeRule{{Scope: "broken", Regex: "  "}}, wantScope: ""},
		{name: "invalid regex skipped", path: "/users/x", rules: []ScopeRule{{Scope: "broken", Regex: "users/(.*"}, {Scope: "read", Regex: "/users/.*"}}, wantScope: "read"},
		{name: "anchor escape never matches", path: "/anything", rules: []ScopeRule{{Scope: "broken", Regex: "a)|(.*"}}, wantScope: ""},
		{name: "first matching rule wins", path: "/users/x", rules: []ScopeRule{{Scope: "first", Regex: "users/.*"}, {Scope: "second", Regex: ".*"}}, wantScope: "first"},
		{name: "no rules", path: "/users/x", rules: nil, wantScope: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			match, ok := MatchScopes(tt.path, tt.rules)
			if tt.wantScope == "" {
				if ok {
					t.Errorf("MatchScopes(%q) = %+v, want no match", tt.path, match)
				}
				return
			}
			if !ok {
				t.Fatalf("MatchScopes(%q) found no match, want scope %q", tt.path, tt.wantScope)
			}
			if match.Scope != tt.wantScope {
				t.Errorf("MatchScopes(%q) scope = %q, want %q", tt.path, match.Scope, tt.wantScope)
			}
		})
	}
}

func TestMatchScopesReturnsRule(t *testing.T) {
	rules := []ScopeRule{{Scope: "read", Regex: " /users/.* "}}
	match, ok := MatchScopes("/users/x", rules)
	if !ok {
		t.Fatalf("MatchScopes found no match")
	}
	want := ScopeMatch{Scope: "read", Regex: " /users/.* "}
	if match != want {
		t.Errorf("MatchScopes() = %+v, want %+v", match, want)
	}
}

func TestScopeRegexCacheBounded(t *testing.T) {
	cache := newRegexCache(8)
	for i := range 100 {
		if _, err := cache.get(fmt.Sprintf("users/%d", i)); err != nil {
			t.Fatalf("get: %v", err)
		}
	}
	if n := cache.len(); n != 8 {
		t.Errorf("cache holds %d entries, want 8", n)
	}

	// Invalid regexes are cached too, with their error.
	if _, err := cache.get("users/(.*"); err == nil {
		t.Errorf("get(invalid) error = nil")
	}
	if _, err := cache.get("users/(.*"); err == nil {
		t.Errorf("get(invalid) from cache error = nil")
	}
}

func TestMatchScopesConcurrent(t *testing.T) {
	rules := []ScopeRule{
		{Scope: "tfu", Regex: "/security/GetTokenForUser"},
		{Scope: "token-info", Regex: "/security/GetToken"},
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 64 {
		wg.Go(func() {
			path := "/security/GetToken"
			want := "token-info"
			if i%2 == 0 {
				path = "/security/GetTokenForUser"
				want = "tfu"
			}
			// A distinct regex per goroutine also exercises cache inserts.
			extra := ScopeRule{Scope: "extra", Regex: fmt.Sprintf("extra/%d", i)}
			match, ok := MatchScopes(path, append([]ScopeRule{extra}, rules...))
			if !ok || match.Scope != want {
				errs <- fmt.Sprintf("MatchScopes(%q) = %+v, %v, want scope %q", path, match, ok, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
