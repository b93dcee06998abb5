// Package oauth serves the OAuth 2.0 token API of an OAuth Client app:
// the client credentials grant (RFC 6749 §4.4) at /oauth2/token/{ApplicationID}
// and its alias /token/{ApplicationID}, token introspection (RFC 7662),
// token revocation (RFC 7009), the JWKS of the signing keys and the
// authorization server metadata (RFC 8414).
//
// Every token endpoint runs the same phases: find the app named in the
// path, parse the form body once, authenticate the client, then do the
// endpoint's own work. Errors are *Error values written by writeError in
// the RFC 6749 §5.2 format. The access tokens issued here are verified on
// bearer-protected routes by package bearer.
package oauth
