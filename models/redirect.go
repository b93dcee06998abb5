package models

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrRedirectNotAllowed is returned by ValidateRedirect for every rejected
// target. The wrapping error names the rule but never contains the value.
var ErrRedirectNotAllowed = errors.New("redirect target not allowed")

const (
	maxRedirectBytes = 2048
	// redirectDecodeRounds is how many extra rounds of percent-decoding are
	// inspected for hidden "//", backslashes and control characters.
	redirectDecodeRounds = 3
)

// RedirectPolicy lists the absolute targets that ValidateRedirect accepts
// besides paths on this server.
type RedirectPolicy struct {
	// AllowedURLs are accepted by exact, case-sensitive string comparison.
	AllowedURLs []string
	// LaunchURL is the app's configured URL. Absolute targets with the same
	// scheme, host and port are accepted.
	LaunchURL string
}

// ValidateRedirect checks a redirect target taken from a request, such as a
// failure redirect URL, and returns the string to put in the Location
// header. raw is the query value as decoded once by the HTTP server.
//
// Accepted targets are:
//   - A path on this server, which starts with exactly one "/" and no "\".
//     Its ".." segments are resolved as by path.Clean, the check is
//     repeated, and the cleaned path is returned.
//   - An absolute http or https URL equal to one of policy.AllowedURLs.
//   - An absolute http or https URL whose scheme, host and port equal those
//     of policy.LaunchURL. Hosts are compared after lower-casing and IDNA
//     ToASCII (registration profile, RFC 5891 §4), and an omitted port
//     equals the scheme's default port.
//
// Every target is rejected if it is empty, longer than 2048 bytes, not
// valid UTF-8, or contains white space, control characters (which could
// inject headers), invisible formatting characters, backslashes or the
// full stop look-alikes U+3002, U+FF0E and U+FF61. It is also rejected if
// decoding it again, up to three times, yields a leading "//", a backslash,
// a control character or an invalid percent-escape. Absolute URLs must be
// written as scheme://host with no userinfo and no percent-escapes in the
// host. Non-ASCII characters in an accepted target are returned as an IDNA
// A-label (host) or percent-encoded UTF-8 (path, query and fragment), so
// the result is plain ASCII.
func ValidateRedirect(raw string, policy RedirectPolicy) (string, error) {
	if err := checkRedirectText(raw); err != nil {
		return "", err
	}

	if strings.HasPrefix(raw, "/") {
		return validateLocalRedirect(raw)
	}

	target, err := parseHTTPURL(raw)
	if err != nil {
		return "", err
	}
	if slices.Contains(policy.AllowedURLs, raw) {
		return target.location, nil
	}

	launch, err := parseHTTPURL(policy.LaunchURL)
	if err != nil {
		return "", rejectRedirect("the app has no valid launch URL to compare the host with")
	}
	if target.origin != launch.origin {
		return "", rejectRedirect("the target's scheme, host or port differs from the app's launch URL")
	}
	return target.location, nil
}

func rejectRedirect(reason string) error {
	return fmt.Errorf("%w: %s", ErrRedirectNotAllowed, reason)
}

// checkRedirectText applies the character rules that hold for every target.
func checkRedirectText(raw string) error {
	if raw == "" {
		return rejectRedirect("the target is empty")
	}
	if len(raw) > maxRedirectBytes {
		return rejectRedirect(fmt.Sprintf("the target is longer than %d bytes", maxRedirectBytes))
	}
	if !utf8.ValidString(raw) {
		return rejectRedirect("the target is not valid UTF-8")
	}

	for _, r := range raw {
		switch {
		case unicode.IsControl(r):
			return rejectRedirect("the target contains a control character")
		case unicode.IsSpace(r):
			return rejectRedirect("the target contains white space")
		case unicode.Is(unicode.Cf, r):
			return rejectRedirect("the target contains an invisible formatting character")
		case r == '\\':
			// Browsers treat "\" as "/" in http(s) URLs, so "/\host" is "//host".
			return rejectRedirect("the target contains a backslash")
		case r == '\u3002' || r == '\uFF0E' || r == '\uFF61':
			// IDNA lookup maps these to ".", so they can disguise a host.
			return rejectRedirect("the target contains a full stop look-alike")
		}
	}

	// A component that decodes the value again (a proxy, the app, a second
	// redirect) must not find "//", "\" or control characters either.
	decoded := raw
	for range redirectDecodeRounds {
		next, err := url.PathUnescape(decoded)
		if err != nil {
			return rejectRedirect("the target contains an invalid percent-escape")
		}
		if next == decoded {
			break
		}
		if strings.HasPrefix(next, "//") {
			return rejectRedirect("the target starts with // after percent-decoding")
		}
		if strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
			return rejectRedirect("the target contains a percent-encoded backslash or control character")
		}
		decoded = next
	}
	return nil
}

// validateLocalRedirect checks a target that starts with "/" and returns it
// with its path cleaned.
func validateLocalRedirect(raw string) (string, error) {
	// Browsers read "//host" and "/\host" as a host, not a path.
	if len(raw) > 1 && (raw[1] == '/' || raw[1] == '\\') {
		return "", rejectRedirect("the target starts with // or /\\")
	}

	end := len(raw)
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		end = i
	}
	urlPath, rest := raw[:end], raw[end:]

	cleaned := path.Clean(urlPath)
	if strings.HasSuffix(urlPath, "/") && cleaned != "/" {
		cleaned += "/"
	}
	if !strings.HasPrefix(cleaned, "/") || strings.HasPrefix(cleaned, "//") {
		return "", rejectRedirect("the target path does not start with a single / after resolving ..")
	}
	return percentEncodeNonASCII(cleaned + rest), nil
}

// httpOrigin is the part of an http(s) URL that decides where a browser
// sends the request.
type httpOrigin struct {
	scheme string // "http" or "https"
	host   string // lower-case IDNA A-label or canonical IP address
	port   int
}

type httpTarget struct {
	origin   httpOrigin
	location string // the URL as it goes into a Location header
}

// parseHTTPURL parses an absolute URL of the form http(s)://host[:port]...
// and rejects userinfo, percent-escapes in the host and hosts that IDNA
// rejects. Requiring "://" rules out "https:/host" and "http:host", which
// browsers read as URLs for that host.
func parseHTTPURL(raw string) (httpTarget, error) {
	scheme, rest, found := strings.Cut(raw, "://")
	scheme = strings.ToLower(scheme)
	if !found || (scheme != "http" && scheme != "https") {
		return httpTarget{}, rejectRedirect("the target is neither a path starting with / nor an http or https URL")
	}

	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if authority == "" {
		return httpTarget{}, rejectRedirect("the target URL has no host")
	}
	if strings.Contains(authority, "@") {
		return httpTarget{}, rejectRedirect("the target URL contains userinfo (@)")
	}
	if strings.Contains(authority, "%") {
		return httpTarget{}, rejectRedirect("the target URL host contains a percent-escape")
	}

	parsed, err := url.Parse(raw)
	if err != nil || parsed.Host != authority || parsed.User != nil || parsed.Opaque != "" {
		return httpTarget{}, rejectRedirect("the target URL cannot be parsed")
	}

	port, err := normalizePort(scheme, parsed.Port())
	if err != nil {
		return httpTarget{}, err
	}

	hostname := parsed.Hostname()
	host, err := normalizeHost(hostname)
	if err != nil {
		return httpTarget{}, err
	}

	location := raw
	if !isASCII(raw) {
		// Only domain names can be non-ASCII here, and they are not
		// bracketed, so the authority starts with the hostname.
		location = raw[:len(raw)-len(rest)] + host + authority[len(hostname):] + percentEncodeNonASCII(rest[len(authority):])
	}

	return httpTarget{
		origin:   httpOrigin{scheme: scheme, host: host, port: port},
		location: location,
	}, nil
}

func normalizePort(scheme, port string) (int, error) {
	if port == "" {
		if scheme == "https" {
			return 443, nil
		}
		return 80, nil
	}
	// url.Parse has already checked that the port is all ASCII digits.
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return 0, rejectRedirect("the target URL port is outside 1 to 65535")
	}
	return n, nil
}

// normalizeHost returns the canonical form of an IP address, or the
// lower-case IDNA A-label of a domain name.
func normalizeHost(hostname string) (string, error) {
	if hostname == "" {
		return "", rejectRedirect("the target URL has no host")
	}
	if addr, err := netip.ParseAddr(hostname); err == nil {
		return addr.String(), nil
	}

	// The registration profile maps nothing and rejects characters that
	// lookup would map (full-width letters, look-alike dots), so a host is
	// accepted only in its plain form.
	ascii, err := idna.Registration.ToASCII(strings.ToLower(hostname))
	if err != nil {
		return "", rejectRedirect("the target URL host is not a valid domain name")
	}
	return ascii, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// percentEncodeNonASCII percent-encodes every byte of s at or above 0x80,
// which is how browsers encode UTF-8 in a URL path, query or fragment.
func percentEncodeNonASCII(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// AppendQuery appends key=value, both query-escaped, to the query of u and
// keeps any fragment at the end, for example to add error=mfa_failed to a
// target that ValidateRedirect returned.
func AppendQuery(u string, key, value string) string {
	base, fragment, hasFragment := strings.Cut(u, "#")

	separator := "?"
	if strings.Contains(base, "?") {
		separator = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			separator = ""
		}
	}

	result := base + separator + url.QueryEscape(key) + "=" + url.QueryEscape(value)
	if hasFragment {
		result += "#" + fragment
	}
	return result
}
