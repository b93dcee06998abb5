package models

import (
	"errors"
	"strings"
	"testing"
)

// testRedirectPolicy is an app whose configured URL host is app-a.example.
var testRedirectPolicy = RedirectPolicy{
	AllowedURLs: []string{"https://partner.example/return?from=portcullis", "https://u@partner.example/"},
	LaunchURL:   "https://app-a.example/launch",
}

func TestValidateRedirectRejects(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		// Protocol-relative and backslash forms that browsers follow off-site.
		{name: "protocol-relative", raw: "//evil.example/"},
		{name: "four slashes", raw: "////evil.example"},
		{name: "slash backslash", raw: `/\evil.example`},
		{name: "two backslashes", raw: `\\evil.example`},
		{name: "backslash after dot-dot", raw: `/a/../\evil.example`},
		{name: "backslash inside path", raw: `/ok\evil`},
		{name: "encoded slash decodes to three slashes", raw: "/%2F/evil.example"},
		{name: "double-encoded slash", raw: "/%252F/evil.example"},
		{name: "encoded slashes at start", raw: "/%2F%2Fevil.example"},
		{name: "encoded backslash", raw: "/%5Cevil.example"},
		{name: "double-encoded backslash", raw: "/%255Cevil.example"},
		{name: "encoded tab", raw: "/%09/evil.example"},
		{name: "encoded newline", raw: "/ok%0AX-Injected:%201"},
		{name: "real tab", raw: "/\t/evil.example"},
		{name: "invalid percent-escape", raw: "/ok%zz"},
		{name: "not decoded by the caller", raw: "%2F%2Fevil.example%2F"},

		// Userinfo, look-alike hosts and Unicode full stops.
		{name: "userinfo with app host", raw: "https://app-a.example@evil.example/"},
		{name: "two userinfo parts", raw: "https://x@app-a.example@evil.example/"},
		{name: "encoded at sign", raw: "https://app-a.example%40evil.example/"},
		{name: "app host as subdomain", raw: "https://app-a.example.evil.example/"},
		{name: "hyphen prefix", raw: "https://evil-app-a.example/"},
		{name: "plain prefix", raw: "https://evilapp-a.example/"},
		{name: "ideographic full stop", raw: "https://evil\u3002example/"},
		{name: "fullwidth full stop", raw: "https://evil\uFF0Eexample/"},
		{name: "halfwidth ideographic full stop", raw: "https://evil\uFF61example/"},
		{name: "ideographic full stop in app host", raw: "https://app-a\u3002example/ok"},
		{name: "fullwidth letters in app host", raw: "https://\uFF41pp-a.example/ok"},
		{name: "port before userinfo", raw: "https://app-a.example:443@evil.example/"},
		{name: "trailing dot", raw: "https://app-a.example./ok"},
		{name: "other port", raw: "https://app-a.example:8443/ok"},
		{name: "port 80 on https", raw: "https://app-a.example:80/ok"},
		{name: "port out of range", raw: "https://app-a.example:70000/ok"},
		{name: "other scheme with app host", raw: "http://app-a.example/ok"},
		{name: "no host", raw: "https:///evil.example"},
		{name: "IP address host", raw: "https://127.0.0.1/ok"},
		{name: "host with underscore", raw: "https://app_a.example/ok"},

		// Header injection through CR and LF.
		{name: "CRLF Set-Cookie", raw: "/ok\r\nSet-Cookie: icbt=attacker-value"},
		{name: "LF header", raw: "/ok\nX-Injected: 1"},
		{name: "CR header", raw: "/ok\rX-Injected: 1"},
		{name: "CRLF body", raw: "/ok\r\n\r\n<html>injected"},
		{name: "NUL", raw: "/ok\x00"},
		{name: "DEL", raw: "/ok\x7f"},
		{name: "C1 next line", raw: "/ok\u0085X-Injected: 1"},
		{name: "line separator", raw: "/ok\u2028"},
		{name: "space", raw: "/ok X"},
		{name: "leading space", raw: " /failed"},
		{name: "no-break space", raw: "/ok\u00A0"},
		{name: "zero-width space", raw: "/ok\u200B"},
		{name: "invalid UTF-8", raw: "/ok\xff"},

		// Schemes and scheme-relative tricks.
		{name: "javascript", raw: "javascript:alert(1)"},
		{name: "javascript upper case", raw: "JAVASCRIPT:alert(1)"},
		{name: "javascript with slashes", raw: "javascript://app-a.example/%0Aalert(1)"},
		{name: "data", raw: "data:text/html,<script>alert(1)</script>"},
		{name: "vbscript", raw: "vbscript:msgbox(1)"},
		{name: "ftp on app host", raw: "ftp://app-a.example/ok"},
		{name: "http without slashes", raw: "http:evil.example"},
		{name: "https with one slash", raw: "https:/evil.example"},
		{name: "relative without slash", raw: "evil.example/ok"},
		{name: "relative dot", raw: "./failed"},

		// Size limits.
		{name: "empty", raw: ""},
		{name: "over 2048 bytes", raw: "/" + strings.Repeat("a", 2048)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateRedirect(tt.raw, testRedirectPolicy)
			if !errors.Is(err, ErrRedirectNotAllowed) {
				t.Errorf("ValidateRedirect(%q) = %q, %v, want ErrRedirectNotAllowed", tt.raw, got, err)
			}
			if got != "" {
				t.Errorf("ValidateRedirect(%q) returned %q with the error, want empty", tt.raw, got)
			}
		})
	}
}

func TestValidateRedirectAllows(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		policy RedirectPolicy
		want   string
	}{
		{name: "local path", raw: "/failed", want: "/failed"},
		{name: "local path with query", raw: "/demo/failed?x=1", want: "/demo/failed?x=1"},
		{name: "root", raw: "/", want: "/"},
		{name: "query may contain slashes", raw: "/failed?next=//evil.example", want: "/failed?next=//evil.example"},
		{name: "fragment kept", raw: "/failed#top", want: "/failed#top"},
		{name: "trailing slash kept", raw: "/demo/", want: "/demo/"},
		{name: "dot-dot resolved", raw: "/demo/../failed", want: "/failed"},
		{name: "dot-dot above root", raw: "/../../failed", want: "/failed"},
		{name: "dot-dot before double slash stays local", raw: "/..//evil.example", want: "/evil.example"},
		{name: "dot segment resolved", raw: "/demo/./failed?x=1", want: "/demo/failed?x=1"},
		{name: "encoded space in path", raw: "/my%20docs", want: "/my%20docs"},
		{name: "non-ASCII path percent-encoded", raw: "/café", want: "/caf%C3%A9"},
		{name: "upper-case app host", raw: "https://APP-A.EXAMPLE/ok", want: "https://APP-A.EXAMPLE/ok"},
		{name: "app host", raw: "https://app-a.example/ok", want: "https://app-a.example/ok"},
		{name: "explicit default port", raw: "https://app-a.example:443/ok", want: "https://app-a.example:443/ok"},
		{name: "app host without path", raw: "https://app-a.example", want: "https://app-a.example"},
		{name: "app host with query", raw: "https://app-a.example/ok?next=https://evil.example", want: "https://app-a.example/ok?next=https://evil.example"},
		{name: "upper-case scheme", raw: "HTTPS://app-a.example/ok", want: "HTTPS://app-a.example/ok"},
		{name: "allowed URL on another host", raw: "https://partner.example/return?from=portcullis", want: "https://partner.example/return?from=portcullis"},
		{
			name:   "http launch URL with default port",
			raw:    "http://app-b.example:80/ok",
			policy: RedirectPolicy{LaunchURL: "http://app-b.example/launch"},
			want:   "http://app-b.example:80/ok",
		},
		{
			name:   "launch URL with explicit port",
			raw:    "https://app-b.example:8443/ok",
			policy: RedirectPolicy{LaunchURL: "https://app-b.example:8443/"},
			want:   "https://app-b.example:8443/ok",
		},
		{
			name:   "IPv4 launch URL",
			raw:    "http://127.0.0.1:8080/ok",
			policy: RedirectPolicy{LaunchURL: "http://127.0.0.1:8080/launch"},
			want:   "http://127.0.0.1:8080/ok",
		},
		{
			name:   "IPv6 launch URL",
			raw:    "http://[::1]:8080/ok",
			policy: RedirectPolicy{LaunchURL: "http://[0:0::1]:8080/launch"},
			want:   "http://[::1]:8080/ok",
		},
		{
			name:   "internationalised host as A-label",
			raw:    "https://BÜCHER.example/ok?q=ä",
			policy: RedirectPolicy{LaunchURL: "https://xn--bcher-kva.example/launch"},
			want:   "https://xn--bcher-kva.example/ok?q=%C3%A4",
		},
		{
			name:   "A-label matches internationalised launch URL",
			raw:    "https://xn--bcher-kva.example/ok",
			policy: RedirectPolicy{LaunchURL: "https://bücher.example/launch"},
			want:   "https://xn--bcher-kva.example/ok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy := tt.policy
			if policy.LaunchURL == "" && policy.AllowedURLs == nil {
				policy = testRedirectPolicy
			}
			got, err := ValidateRedirect(tt.raw, policy)
			if err != nil {
				t.Fatalf("ValidateRedirect(%q) error = %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("ValidateRedirect(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestValidateRedirectPolicyLimits(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		policy RedirectPolicy
	}{
		{name: "allowed URL differs in query", raw: "https://partner.example/return?from=other", policy: testRedirectPolicy},
		{name: "allowed URL differs in case", raw: "https://PARTNER.example/return?from=portcullis", policy: testRedirectPolicy},
		{name: "allowed URL with userinfo", raw: "https://u@partner.example/", policy: testRedirectPolicy},
		{name: "no launch URL", raw: "https://app-a.example/ok", policy: RedirectPolicy{}},
		{name: "invalid launch URL", raw: "https://app-a.example/ok", policy: RedirectPolicy{LaunchURL: "app-a.example"}},
		{name: "launch URL with userinfo", raw: "https://app-a.example/ok", policy: RedirectPolicy{LaunchURL: "https://u@app-a.example/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateRedirect(tt.raw, tt.policy)
			if !errors.Is(err, ErrRedirectNotAllowed) {
				t.Errorf("ValidateRedirect(%q) = %q, %v, want ErrRedirectNotAllowed", tt.raw, got, err)
			}
		})
	}
}

func TestValidateRedirectLengthLimit(t *testing.T) {
	raw := "/" + strings.Repeat("a", 2047)
	got, err := ValidateRedirect(raw, testRedirectPolicy)
	if err != nil {
		t.Fatalf("ValidateRedirect(2048 bytes) error = %v", err)
	}
	if got != raw {
		t.Errorf("ValidateRedirect(2048 bytes) changed the value")
	}
}

func TestValidateRedirectErrorOmitsValue(t *testing.T) {
	_, err := ValidateRedirect("/ok\r\nSet-Cookie: icbt=attacker-value", testRedirectPolicy)
	if err == nil {
		t.Fatalf("ValidateRedirect() error = nil")
	}
	if strings.Contains(err.Error(), "attacker-value") {
		t.Errorf("error %q contains the rejected value", err)
	}
}

func TestRedirectAppendQuery(t *testing.T) {
	tests := []struct {
		name  string
		u     string
		key   string
		value string
		want  string
	}{
		{name: "no query", u: "/failed", key: "error", value: "mfa_failed", want: "/failed?error=mfa_failed"},
		{name: "existing query", u: "/demo/failed?x=1", key: "error", value: "mfa_failed", want: "/demo/failed?x=1&error=mfa_failed"},
		{name: "empty query", u: "/failed?", key: "error", value: "mfa_failed", want: "/failed?error=mfa_failed"},
		{name: "query ending in ampersand", u: "/failed?x=1&", key: "error", value: "mfa_failed", want: "/failed?x=1&error=mfa_failed"},
		{name: "fragment kept at end", u: "/failed#top", key: "error", value: "mfa_failed", want: "/failed?error=mfa_failed#top"},
		{name: "query and fragment", u: "https://app-a.example/ok?x=1#top", key: "error", value: "mfa_failed", want: "https://app-a.example/ok?x=1&error=mfa_failed#top"},
		{name: "fragment containing question mark", u: "/failed#a?b", key: "error", value: "mfa_failed", want: "/failed?error=mfa_failed#a?b"},
		{name: "value escaped", u: "/failed", key: "error_description", value: "code a&b=c #1", want: "/failed?error_description=code+a%26b%3Dc+%231"},
		{name: "key escaped", u: "/failed", key: "a b", value: "1", want: "/failed?a+b=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AppendQuery(tt.u, tt.key, tt.value); got != tt.want {
				t.Errorf("AppendQuery(%q, %q, %q) = %q, want %q", tt.u, tt.key, tt.value, got, tt.want)
			}
		})
	}
}
